"""The scheduler: cron triggers that start real crawls, jobs that survive a restart, missed runs
coalesced into one, and a clean stop."""

import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from helpers import LOREM, PROJECT, Route, policy_page, policyarchive, rows, write_declaration
import schedules
from crawler.declarations.catalog import load_catalog


def declare(tmp_path, site, schedule):
    path = write_declaration(tmp_path / "policies", "Acme", [
        {"region": "US", "language": "en", "url": site.url("/us"), "select": ["article.policy"]},
    ])
    path.write_text(f'schedule: "{schedule}"\n' + path.read_text())
    return tmp_path / "archive.db", tmp_path / "policies"


class Scheduler:
    """`policyarchive schedule` in its own process, its log in a file the test reads as it grows."""

    def __init__(self, db, policies, log):
        self.log = log
        with open(log, "a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "schedule", "--db", str(db), "--policies", str(policies)],
                cwd=PROJECT, stdout=out, stderr=out,
            )

    def says(self, text):
        return self.log.read_text().count(text)

    def stop(self, timeout=60):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def finished_runs(db):
    return rows(db, "select * from runs where status = 'finished' order by id") if db.exists() else []


def test_a_per_second_schedule_runs_crawls_that_the_run_log_records(tmp_path, site):
    db, policies = declare(tmp_path, site, "* * * * * *")
    site.set("/us", policy_page(LOREM))
    scheduler = Scheduler(db, policies, tmp_path / "scheduler.log")
    try:
        wait_until(lambda: scheduler.says("acme: crawl ended") >= 2)
    finally:
        assert scheduler.stop() == 0

    first, second = finished_runs(db)[:2]
    assert [(r["trigger"], r["only"], r["planned"], r["attempted"], r["exit_code"]) for r in (first, second)] == [("schedule", "acme", 1, 1, 0)] * 2
    assert (first["new"], first["new_versions"], second["unchanged"], second["new_versions"]) == (1, 1, 1, 0)
    assert first["log_path"] != second["log_path"] and "run 1: 1 new" in open(first["log_path"]).read()
    assert scheduler.says("acme: crawl ended with exit 0 (every variant captured)") >= 2


def three_slots(after: datetime):
    """A 6-field cron that fires at three consecutive seconds, all after ``after``, within one minute."""
    first = (after + timedelta(seconds=1)).replace(microsecond=0)
    if first.second > 57:
        first = first.replace(second=0) + timedelta(minutes=1)
    seconds = ",".join(str(first.second + i) for i in range(3))
    return f"{seconds} {first.minute} {first.hour} {first.day} {first.month} *", first + timedelta(seconds=2)


def test_a_job_missed_while_the_scheduler_was_down_runs_once_after_a_restart(tmp_path, site):
    site.set("/us", policy_page(LOREM))
    cron, last_slot = three_slots(datetime.now(timezone.utc) + timedelta(seconds=6))
    db, policies = declare(tmp_path, site, cron)
    before = Scheduler(db, policies, tmp_path / "before.log")
    wait_until(lambda: before.says("scheduler started"))
    assert before.stop() == 0 and datetime.now(timezone.utc) < last_slot - timedelta(seconds=2), "stopped too late for the test"

    time.sleep(max(0.0, (last_slot - datetime.now(timezone.utc)).total_seconds()) + 1)
    listed = policyarchive("schedule", "--list", "--db", str(db), "--policies", str(policies))
    assert "missed while the scheduler was down: runs once when it starts" in listed.stdout
    after = Scheduler(db, policies, tmp_path / "after.log")
    try:
        wait_until(lambda: after.says("acme: crawl ended"), timeout=40)
        time.sleep(1)  # a second run for another missed slot would start right away
    finally:
        assert after.stop() == 0
    assert after.says("acme: crawl started") == 1
    assert [(r["trigger"], r["status"]) for r in rows(db, "select * from runs")] == [("schedule", "finished")]


def test_stopping_the_scheduler_stops_its_crawl_which_is_recorded_as_interrupted(tmp_path, site):
    db, policies = declare(tmp_path, site, "* * * * * *")
    site.set("/us", Route(body=policy_page(LOREM), delay=4))
    scheduler = Scheduler(db, policies, tmp_path / "scheduler.log")
    wait_until(lambda: site.hits)  # the crawl is fetching
    stopped = time.monotonic()
    assert scheduler.stop(timeout=30) == 0

    assert time.monotonic() - stopped < 20
    [run] = rows(db, "select * from runs")
    assert (run["status"], run["exit_code"], run["attempted"]) == ("interrupted", 4, 1)
    assert scheduler.says("stopping crawl pid") == 1 and scheduler.says("scheduler stopped") == 1


def test_services_due_together_are_crawled_in_one_process_and_one_run(tmp_path, site):
    db, policies = declare(tmp_path, site, "* * * * * *")
    for name in ("Beta", "Gamma"):
        path = write_declaration(tmp_path / "policies", name, [{"region": "US", "language": "en", "url": site.url(f"/{name.lower()}")}])
        path.write_text('schedule: "*  * * * * *"\n' + path.read_text())  # the same schedule, spaced otherwise
    for route in ("/us", "/beta", "/gamma"):
        site.set(route, policy_page(LOREM))
    scheduler = Scheduler(db, policies, tmp_path / "scheduler.log")
    try:
        wait_until(lambda: scheduler.says("3 services (acme, beta, gamma): crawl ended"))
    finally:
        assert scheduler.stop() == 0

    first = finished_runs(db)[0]
    assert (first["only"], first["planned"], first["new_versions"]) == ("acme beta gamma", 3, 3)
    assert scheduler.says("scheduler started: 3 services in 1 crawl job")


def test_a_service_joining_a_schedule_keeps_the_run_it_missed(tmp_path, site):
    db, policies = declare(tmp_path, site, "30 3 * * *")
    store = schedules.store_path(db)
    before = schedules.make_scheduler(store)
    before.start(paused=True)
    schedules.apply(before, schedules.declared_jobs(load_catalog(policies), db, policies, tmp_path / "logs"))
    [job] = before.get_jobs()
    missed = datetime.now(timezone.utc) - timedelta(hours=1)
    before.modify_job(job.id, next_run_time=missed)
    before.shutdown(wait=False)

    write_declaration(tmp_path / "policies", "Beta", [{"region": "US", "language": "en", "url": site.url("/beta")}])
    after = schedules.make_scheduler(store)
    after.start(paused=True)
    schedules.apply(after, schedules.declared_jobs(load_catalog(policies), db, policies, tmp_path / "logs"))
    [job] = after.get_jobs()
    after.shutdown(wait=False)
    assert job.kwargs["services"] == ["acme", "beta"] and job.next_run_time == missed


def test_a_second_scheduler_on_the_same_archive_is_refused(tmp_path, site):
    db, policies = declare(tmp_path, site, "30 3 * * *")
    first = Scheduler(db, policies, tmp_path / "first.log")
    try:
        wait_until(lambda: first.says("scheduler started"))
        second = policyarchive("schedule", "--db", str(db), "--policies", str(policies), timeout=30)
    finally:
        assert first.stop() == 0
    assert second.returncode == 75
    assert f"refused: another scheduler runs on {schedules.store_path(db)} (pid {first.process.pid} on" in second.stderr


def test_schedule_list_shows_each_service_with_its_schedule_and_next_run(tmp_path, site):
    db, policies = declare(tmp_path, site, "0 4 * * 1-5")
    write_declaration(tmp_path / "policies", "Beta", [{"region": "US", "language": "en", "url": site.url("/beta")}])
    result = policyarchive("schedule", "--list", "--db", str(db), "--policies", str(policies))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["service", "schedule", "(UTC)", "next", "run", "(UTC)", "note"]
    acme, beta = (line.split(None, 7) for line in lines[1:])
    next_acme = datetime.fromisoformat(acme[6].replace("Z", "+00:00"))
    assert acme[1:6] == ["0", "4", "*", "*", "1-5"] and next_acme.weekday() < 5 and next_acme.hour == 4
    assert beta[1:6] == schedules.DEFAULT_CRON.split() and "new: added when the scheduler starts" in beta[7]


@pytest.mark.parametrize("weekday, expected", [("0", "Sunday"), ("7", "Sunday"), ("1", "Monday"), ("sat", "Saturday")])
def test_weekdays_count_from_sunday_as_in_crontab(weekday, expected):
    trigger = schedules.cron_trigger(f"0 4 * * {weekday}")
    assert trigger.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=timezone.utc)).strftime("%A") == expected


def test_a_bad_schedule_is_an_error_naming_its_file_and_line(tmp_path, site):
    db, policies = declare(tmp_path, site, "every night")
    result = policyarchive("schedule", "--list", "--db", str(db), "--policies", str(policies))

    assert result.returncode == 1
    assert f"{policies / 'acme.yml'}:1: schedule: 'every night' has 2 fields" in result.stderr
