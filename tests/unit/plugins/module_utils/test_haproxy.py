from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import haproxy

HEADER = ("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,"
          "bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,")


def row(px, sv, status, check=""):
    cells = [""] * 37
    cells[0], cells[1], cells[17], cells[36] = px, sv, status, check
    return ",".join(cells) + ","


def test_servers_not_up_are_named_with_their_check():
    stat = "\n".join([HEADER, row("keystone", "FRONTEND", "OPEN"), row("keystone", "controller-0", "UP", "L7OK"),
                      row("compute_api", "compute-0", "UP", "L4OK"), row("compute_api", "compute-2", "DOWN", "L4CON"),
                      row("compute_api", "compute-3", "MAINT"), row("compute_api", "BACKEND", "UP"), ""])
    assert [s["server"] for s in haproxy.servers(stat)] == ["controller-0", "compute-0", "compute-2", "compute-3"]
    assert haproxy.not_up(stat) == ["compute_api/compute-2 is DOWN (L4CON)", "compute_api/compute-3 is MAINT"]


def test_all_up_and_empty_input():
    assert haproxy.not_up("\n".join([HEADER, row("glance", "controller-0", "UP", "L7OK")])) == []
    assert haproxy.not_up("") == [] and haproxy.servers("no header here") == []


def test_the_probe_urls_of_the_apis_of_the_roles_updated():
    apis = [{"name": "keystone_public", "port": 5000, "check": "/v3", "group": "overcloud_controller"},
            {"name": "compute_status", "port": 8780, "check": "/status.json", "group": "overcloud_compute"}]
    assert haproxy.api_urls(apis, "198.18.0.250", ["overcloud_compute"]) == ["http://198.18.0.250:8780/status.json"]
    assert haproxy.api_urls(apis, "198.18.0.250", ["overcloud_controller", "overcloud_compute"]) == [
        "http://198.18.0.250:5000/v3", "http://198.18.0.250:8780/status.json"]
    assert haproxy.api_urls(apis, "198.18.0.250", []) == []


def test_before_a_drain_the_other_servers_of_its_listens_must_be_up():
    stat = "\n".join([HEADER, row("keystone", "controller-0", "DOWN", "L7STS"), row("compute_status", "compute-0", "DOWN", "L7STS"),
                      row("compute_status", "compute-2", "UP", "L7OK"), row("compute_status", "compute-3", "DRAIN")])
    # compute-0 is being drained (its own state does not matter); compute-3 is not UP; keystone is another listen.
    assert haproxy.others_not_up(stat, ["compute_status"], "compute-0") == ["compute_status/compute-3 is DRAIN"]
    assert haproxy.others_not_up(stat, ["compute_status"], "compute-3") == ["compute_status/compute-0 is DOWN (L7STS)"]
    assert haproxy.others_not_up(stat, ["keystone"], "controller-0") == []
    assert haproxy.others_not_up(stat, [], "compute-0") == [] and haproxy.others_not_up("", ["keystone"], "x") == []
