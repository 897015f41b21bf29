# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment(object):

    # The runtime options of container_startup and container_startup_info; RUNTIME_ARGUMENT_SPEC in
    # module_utils/_containers/runtime.py is the matching argument spec.
    DOCUMENTATION = r'''
options:
  podman:
    description: The podman executable.
    type: str
    default: podman
  runtime:
    description: The container runtime - C(podman), or C(docker) (a Docker engine, reached at O(docker_host)).
    type: str
    default: podman
    choices: [podman, docker]
    version_added: 0.3.0
  docker_host:
    description:
      - The Docker engine's address, for O(runtime=docker). Default the C(DOCKER_HOST) environment variable, else
        C(unix:///var/run/docker.sock).
    type: str
    version_added: 0.3.0
requirements:
  - podman on the managed host, for O(runtime=podman)
  - a Docker engine and the docker Python SDK on the managed host, for O(runtime=docker)
'''
