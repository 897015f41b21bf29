# The two commands of README.md: `make lab` and `make test`.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: bootstrap lab lab-down test lint sanity units integration molecule bench

bootstrap:
	scripts/bootstrap.sh

lab: bootstrap
	ansible-playbook playbooks/lab.yml

lab-down: bootstrap
	ansible-playbook playbooks/lab_destroy.yml

test: bootstrap
	scripts/test.sh

lint: bootstrap
	scripts/test.sh lint

sanity: bootstrap
	scripts/test.sh sanity

units: bootstrap
	scripts/test.sh units

integration: bootstrap
	scripts/test.sh integration

molecule: bootstrap
	scripts/test.sh molecule

bench: bootstrap
	python benchmarks/bench_identity_catalog.py
	python benchmarks/bench_baremetal_enroll.py
	python benchmarks/bench_baremetal_available.py
	python benchmarks/bench_baremetal_inspect.py
	python benchmarks/bench_baremetal_deploy.py
	python benchmarks/bench_container_startup.py
	python benchmarks/bench_image_upload.py
	python benchmarks/bench_heat_noop.py
	python benchmarks/bench_network_config.py
	python benchmarks/bench_multicloud.py
	python benchmarks/bench_ironic_power_sync.py
	python benchmarks/undercloud_memory.py
