"""Write tempest.conf for one cloud of clouds.yaml, from what the cloud says about itself.

    tempest_conf.py CLOUD CONF SPEC_JSON CHECK

SPEC: {"image", "flavor", "public_network", "project_cidr", "build_timeout", "lock_dir", "log_dir", "extra": {SECTION: {KEY:
VALUE}}}. The admin credentials come from the clouds.yaml entry (secure.yaml) and go only into CONF, written 0600; the
image, the flavor and the public network are looked up by name; the services available and the API extensions are the
catalog's and Neutron's own. Nothing secret is printed.
CHECK ("True"): write nothing. Prints JSON: {"changed": bool, "settings": the non-secret settings, "problems": [...]}
(problems: what the spec names that the cloud lacks, each with the fix; nothing is written then).
"""
import configparser
import io
import json
import os
import sys

import openstack

SECRET = {("auth", "admin_password")}


def build(conn, region, spec):
    """(ConfigParser, problems) for the cloud behind conn."""
    auth = conn.config.get_auth_args()
    types = {s.type for s in conn.identity.services()}
    problems = []
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str
    auth_url = auth["auth_url"].rstrip("/")
    if not auth_url.endswith("/v3"):
        auth_url += "/v3"
    conf["DEFAULT"] = {"log_dir": spec["log_dir"], "log_file": "tempest.log"}
    conf["oslo_concurrency"] = {"lock_path": spec["lock_dir"]}
    conf["auth"] = {"use_dynamic_credentials": "true", "create_isolated_networks": "true",
                    "admin_username": auth["username"], "admin_password": auth["password"],
                    "admin_project_name": auth["project_name"],
                    "admin_domain_name": auth.get("user_domain_name") or auth.get("project_domain_name") or "Default"}
    conf["identity"] = {"uri_v3": auth_url, "auth_version": "v3", "region": region, "v3_endpoint_type": "public"}
    conf["identity-feature-enabled"] = {"api_v2": "false"}
    available = {"nova": "compute", "glance": "image", "neutron": "network", "cinder": "block-storage",
                 "swift": "object-store", "placement": "placement", "horizon": "dashboard"}
    conf["service_available"] = {name: str(kind in types or (kind == "block-storage" and "volumev3" in types)).lower()
                                 for name, kind in available.items()}
    if "image" in types:
        conf["image"] = {"region": region, "endpoint_type": "public",
                         "container_formats": "bare,ami,ari,aki", "disk_formats": "raw,qcow2,ami,ari,aki"}
        conf["image-feature-enabled"] = {"api_v1": "false", "api_v2": "true"}
    if "compute" in types:
        image = conn.image.find_image(spec["image"], ignore_missing=True)
        flavor = conn.compute.find_flavor(spec["flavor"], ignore_missing=True)
        if image is None:
            problems.append("image %s is not in the cloud: upload it, or name another in tempest_image" % spec["image"])
        if flavor is None:
            problems.append("flavor %s is not in the cloud: create it, or name another in tempest_flavor" % spec["flavor"])
        computes = [s for s in conn.compute.services(binary="nova-compute") if s.state == "up"]
        conf["compute"] = {"region": region, "endpoint_type": "publicURL",
                           "image_ref": image.id if image else "", "image_ref_alt": image.id if image else "",
                           "flavor_ref": flavor.id if flavor else "", "flavor_ref_alt": flavor.id if flavor else "",
                           "min_compute_nodes": str(max(1, len(computes))), "build_timeout": str(spec["build_timeout"])}
        # What a TCG guest without SSH, shared storage or a console proxy can do: no resize or migration (they need
        # the computes to reach each other over SSH), no consoles but the serial log.
        conf["compute-feature-enabled"] = {"console_output": "true", "resize": "false", "cold_migration": "false",
                                           "live_migration": "false", "vnc_console": "false", "spice_console": "false",
                                           "serial_console": "false", "change_password": "false",
                                           "attach_encrypted_volume": "false", "block_migration_for_live_migration": "false"}
    if "network" in types:
        public = conn.network.find_network(spec["public_network"], ignore_missing=True)
        if public is None:
            problems.append("network %s is not in the cloud: create the external network, or name another in "
                            "tempest_public_network" % spec["public_network"])
        extensions = sorted(e.alias for e in conn.network.extensions())
        conf["network"] = {"region": region, "endpoint_type": "public",
                           "public_network_id": public.id if public else "",
                           "floating_network_name": spec["public_network"],
                           "project_network_cidr": spec["project_cidr"], "project_network_mask_bits": "28",
                           "build_timeout": str(spec["build_timeout"])}
        conf["network-feature-enabled"] = {"ipv6": "false", "api_extensions": ",".join(extensions)}
    conf["validation"] = {"run_validation": "false"}
    for section, values in (spec.get("extra") or {}).items():
        if not conf.has_section(section) and section != "DEFAULT":
            conf.add_section(section)
        for key, value in values.items():
            conf[section][key] = str(value)
    return conf, problems


def render(conf):
    out = io.StringIO()
    conf.write(out)
    return out.getvalue()


def main():
    cloud, path, spec, check = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4] == "True"
    conn = openstack.connect(cloud=cloud)
    conf, problems = build(conn, conn.config.get_region_name() or "RegionOne", spec)
    settings = {"%s.%s" % (s, k): v for s in ["DEFAULT"] + conf.sections() for k, v in conf[s].items()
                if (s, k) not in SECRET and (s == "DEFAULT" or k not in conf.defaults())}
    if problems:
        print(json.dumps({"changed": False, "settings": settings, "problems": problems}))
        return
    text = render(conf)
    try:
        with open(path) as have:
            changed = have.read() != text
    except FileNotFoundError:
        changed = True
    if changed and not check:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(path + ".tmp", path)
    print(json.dumps({"changed": changed, "settings": settings, "problems": []}))


if __name__ == "__main__":
    main()
