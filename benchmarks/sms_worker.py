"""Worker throughput against the local Twilio-compatible server (target >= 200 messages/s).

Several worker processes (as `flask sms worker` would run) send the same outbox through the
real twilio client; the fake server runs in its own process. Checks each message went once.

    python benchmarks/sms_worker.py --database-url postgresql://... --workers 4
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from typing import Any

from _common import ROOT, app_on, fresh_app, parser
from sqlalchemy import func, insert, select

from inclusion.extensions import db, utcnow

SID, TOKEN = "AC" + "b" * 32, "benchmark-token"


def _worker(url: str, config: dict[str, object]) -> None:
    logging.disable(logging.WARNING)
    from inclusion.sms.worker import run_pass

    app = app_on(url, **config)
    while run_pass(app).handled:
        pass
    with app.app_context():
        db.engine.dispose()


TARGET_PER_SECOND = 200.0


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(url: str, *, scale: float = 1.0, workers: int = 4) -> dict[str, Any]:
    """Drop and rebuild the database, queue 3,000 x scale texts and time `workers` worker
    processes sending them to the fake server; the target is 200 a second, each sent once."""
    total = round(3000 * scale)
    cpu_before = _cpu_of_children()
    server = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(ROOT / "tests" / "twilio_fake.py"), "--account-sid", SID,
         "--auth-token", TOKEN], stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        base = (server.stdout.readline() if server.stdout else "").strip()
        config = {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": SID,
                  "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
                  "TWILIO_API_BASE_URL": base, "PUBLIC_BASE_URL": "https://bench.example",
                  "SMS_BATCH_SIZE": 25}
        fresh_app(url)
        app = app_on(url)
        from inclusion.sms.models import MessageStatus, SmsMessage
        from tests import factories

        with app.app_context():
            from inclusion.residents.models import ConsentKind

            partner = factories.make_partner()
            residents = [factories.make_resident(partner) for _ in range(50)]
            for resident in residents:
                factories.give_consent(resident, ConsentKind.SMS_CONTACT)
            now = utcnow()
            if total:
                db.session.execute(insert(SmsMessage), [
                    {"partner_id": partner.id, "resident_id": residents[i % 50].id,
                     "purpose": "bench", "language": "en",
                     "to": f"+4477009{i % 100000:05d}", "body": f"Benchmark message {i}",
                     "status": MessageStatus.PENDING, "attempts": 0, "next_attempt_at": now,
                     "created_at": now} for i in range(total)])
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        ctx = multiprocessing.get_context("fork")
        procs = [ctx.Process(target=_worker, args=(url, config)) for _ in range(workers)]
        cpu_start = _cpu_of_children()
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
        worker_cpu = _cpu_of_children() - cpu_start
        with app.app_context():
            sent = db.session.scalar(select(func.count()).select_from(SmsMessage).where(
                SmsMessage.status == MessageStatus.SENT)) or 0
            distinct_sids = db.session.scalar(select(func.count(func.distinct(
                SmsMessage.provider_id)))) or 0
            db.session.remove()
            db.engine.dispose()
        rate = sent / elapsed
        server.terminate()
        server.wait(10)
        # The fake server's CPU is counted once it has been waited for.
        total_cpu = _cpu_of_children() - cpu_before
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(10)
        if server.stdout is not None:
            server.stdout.close()
    return {"workers": workers, "asked": total, "sent": sent,
            "distinct_provider_ids": distinct_sids, "seconds": elapsed, "per_second": rate,
            "worker_cpu_seconds": worker_cpu, "server_cpu_seconds": total_cpu - worker_cpu,
            "load_average": os.getloadavg()[0], "target": ">= 200 messages/s, each sent once",
            "target_per_second": TARGET_PER_SECOND,
            "met": rate >= TARGET_PER_SECOND and sent == total == distinct_sids}


def describe(result: dict[str, Any]) -> str:
    sent, total, rate = result["sent"], result["asked"], result["per_second"]
    worker_cpu, server_cpu = result["worker_cpu_seconds"], result["server_cpu_seconds"]
    return (f"sms_worker ({result['workers']} worker processes): {sent:,}/{total:,} messages "
            f"sent in {result['seconds']:.2f} s = {rate:,.0f} msg/s; distinct provider ids "
            f"{result['distinct_provider_ids']:,} "
            f"(target >= 200/s: {'met' if rate >= 200 and sent == total else 'NOT met'})\n"
            f"  CPU: workers {worker_cpu:.1f} s, fake server {server_cpu:.1f} s "
            f"= {1000 * (worker_cpu + server_cpu) / max(sent, 1):.1f} CPU-ms per message "
            f"(PostgreSQL not counted); machine load average now "
            f"{result['load_average']:.1f} on {os.cpu_count()} cores")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--workers", type=int, default=4)
    args = p.parse_args()
    logging.disable(logging.WARNING)
    print(describe(measure(args.database_url, scale=args.scale, workers=args.workers)))


if __name__ == "__main__":
    main()
