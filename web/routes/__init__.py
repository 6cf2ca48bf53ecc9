"""The page routers, one module per user group."""

from __future__ import annotations

from fastapi import APIRouter

from web.routes import auth, backoffice, citizen, leader, reception, staff, users, verify

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    reception.router,
    backoffice.router,
    staff.router,
    citizen.router,
    verify.router,
    leader.router,
    users.router,
)

__all__ = ["ROUTERS"]
