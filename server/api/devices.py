"""Devices and API tokens: created with the token shown once, listed, revoked."""

from __future__ import annotations

from flask import Blueprint
from pydantic import BaseModel

from shared.schemas import DeviceIn, DeviceOut

from .. import presenters
from ..services import devices, setup
from .auth import Principal
from .registry import ADMIN, endpoint

bp = Blueprint("devices", __name__)


class DeviceList(BaseModel):
    devices: list[DeviceOut]


@endpoint(bp, "/devices", "GET", roles=ADMIN, response=DeviceList,
          summary="Devices and tokens with their last reported state")
def list_devices(who: Principal) -> DeviceList:
    return DeviceList(devices=[presenters.device_out(d) for d in devices.list_all()])


@endpoint(bp, "/devices", "POST", roles=ADMIN, body=DeviceIn, response=DeviceOut, status=201,
          summary="Create a device token (shown once)")
def create_device(who: Principal, body: DeviceIn) -> DeviceOut:
    event = setup.current_event()
    record, token = devices.create(event, body.name, body.role, body.gate, actor=who.name)
    return presenters.device_out(record, token)


@endpoint(bp, "/devices/<int:device_id>/revoke", "POST", roles=ADMIN, response=DeviceOut,
          summary="Revoke a device token")
def revoke_device(who: Principal, device_id: int) -> DeviceOut:
    return presenters.device_out(devices.revoke(devices.get(device_id), actor=who.name))
