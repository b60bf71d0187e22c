"""The load mix for ``bench_load.py`` (locust, headless, against gunicorn on 127.0.0.1).

Specialists open their queue, a case page of one of their accounts and ask the compliance API
whether a call may happen now; supervisors open the dashboard and their team's queue. Each user
makes one request a second (``constant_throughput``), so N users offer N requests a second.
``bench_load.py`` names the user classes to run: ``Specialist`` and ``Supervisor`` for the mix,
``CaseReader`` alone for the case pages a second the server can serve (``--case-pages``).
``SETTLE_LOAD_USERS`` names a JSON file ``bench_load.py`` writes: the specialists and
supervisors with a password and, for each specialist, some of their account ids.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, constant, constant_throughput, task

PEOPLE = json.loads(Path(os.environ["SETTLE_LOAD_USERS"]).read_text(encoding="utf-8"))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _Signed(HttpUser):
    abstract = True
    wait_time = constant_throughput(1)
    role = ""

    def on_start(self) -> None:
        person = random.choice(PEOPLE[self.role])
        self.accounts = person.get("accounts", [])
        page = self.client.get("/login/", name="login page")
        token = TOKEN.search(page.text).group(1)
        self._insecure()
        self.client.post(
            "/login/",
            {
                "username": person["username"],
                "password": PEOPLE["password"],
                "csrfmiddlewaretoken": token,
            },
            name="login",
        )
        self._insecure()

    def _insecure(self) -> None:
        """Production cookies are Secure; the bench speaks plain http to 127.0.0.1."""
        for cookie in self.client.cookies:
            cookie.secure = False


class Specialist(_Signed):
    weight = 4
    role = "specialists"

    @task(3)
    def queue(self) -> None:
        self.client.get("/accounts/queue/", name="queue")

    @task(5)
    def case(self) -> None:
        self.client.get(f"/accounts/{random.choice(self.accounts)}/", name="case page")

    @task(2)
    def check(self) -> None:
        self._insecure()  # pages set the CSRF cookie again, Secure
        self.client.post(
            "/api/v1/compliance/check/",
            json={"account": random.choice(self.accounts), "channel": "call"},
            headers={"X-CSRFToken": self.client.cookies.get("csrftoken", "")},
            name="compliance check",
        )


class Supervisor(_Signed):
    weight = 1
    role = "supervisors"

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/dashboards/", name="dashboard")

    @task(2)
    def queue(self) -> None:
        self.client.get("/accounts/queue/", name="team queue")


class CaseReader(_Signed):
    """A specialist opening case pages of their accounts without a pause: enough of them
    saturate the server, and the requests a second are what it can serve."""

    wait_time = constant(0)
    role = "specialists"

    @task
    def case(self) -> None:
        self.client.get(f"/accounts/{random.choice(self.accounts)}/", name="case page")
