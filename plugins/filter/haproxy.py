# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import haproxy


def haproxy_not_up(stat):
    """The servers of a HAProxy ``show stat`` CSV that are not UP, each as 'listen/server is STATUS (check)'."""
    return haproxy.not_up(stat if isinstance(stat, str) else "")


def haproxy_others_not_up(stat, listens, server):
    """The servers of ``listens`` other than ``server`` that are not UP (what a drain of ``server`` needs UP)."""
    return haproxy.others_not_up(stat if isinstance(stat, str) else "", listens, server)


def overcloud_api_urls(apis, vip, groups):
    """The health check URL on the VIP of each API whose backends are in ``groups``."""
    return haproxy.api_urls(apis or [], vip, groups or [])


class FilterModule(object):
    def filters(self):
        return {"haproxy_not_up": haproxy_not_up, "haproxy_others_not_up": haproxy_others_not_up, "overcloud_api_urls": overcloud_api_urls}
