"""The staff home page: a quick action and the open-work panels for lending."""

from __future__ import annotations

from datetime import date

from flask import Blueprint
from sqlalchemy import func, select

from devices.models import Device, DeviceStatus, Loan, LoanKind, LoanStatus
from inclusion.extensions import db
from inclusion.main import panels
from inclusion.main.panels import Panel, QuickAction


def open_work(partner_id: int) -> list[Panel]:
    today = date.today()
    overdue = db.session.scalar(
        select(func.count()).select_from(Loan).where(
            Loan.partner_id == partner_id, Loan.status == LoanStatus.OPEN,
            Loan.kind == LoanKind.LOAN, Loan.due_on < today)
    ) or 0
    ready = db.session.scalar(
        select(func.count()).select_from(Device).where(
            Device.partner_id == partner_id, Device.status == DeviceStatus.READY)
    ) or 0
    return [
        Panel("Overdue loans", overdue, "devices.overdue", hint="Oldest first",
              warning=overdue > 0),
        Panel("Devices ready to lend", ready, "devices.index",
              url_values={"status": DeviceStatus.READY.value}),
    ]


def register_home(bp: Blueprint) -> None:
    panels.register(bp, actions=[QuickAction("Lend a device", "devices.lend", order=20)],
                    panels=open_work)
