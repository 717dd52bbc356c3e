"""Worker throughput against the local Twilio-compatible server (target >= 200 messages/s).

Several worker processes (as `flask sms worker` would run) send the same outbox through the
real twilio client; the fake server runs in its own process. Checks each message went once.

    /work/venv/bin/python benchmarks/sms_worker.py --database-url postgresql://... --workers 4
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import time

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


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--workers", type=int, default=4)
    args = p.parse_args()
    logging.disable(logging.WARNING)
    total = int(3000 * args.scale)
    server = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(ROOT / "tests" / "twilio_fake.py"), "--account-sid", SID,
         "--auth-token", TOKEN], stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        base = (server.stdout.readline() if server.stdout else "").strip()
        config = {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": SID,
                  "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
                  "TWILIO_API_BASE_URL": base, "PUBLIC_BASE_URL": "https://bench.example",
                  "SMS_BATCH_SIZE": 25}
        fresh_app(args.database_url)
        app = app_on(args.database_url)
        from inclusion.sms.models import MessageStatus, SmsMessage
        from tests import factories

        with app.app_context():
            from inclusion.residents.models import ConsentKind

            partner = factories.make_partner()
            residents = [factories.make_resident(partner) for _ in range(50)]
            for resident in residents:
                factories.give_consent(resident, ConsentKind.SMS_CONTACT)
            now = utcnow()
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
        procs = [ctx.Process(target=_worker, args=(args.database_url, config))
                 for _ in range(args.workers)]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
        with app.app_context():
            sent = db.session.scalar(select(func.count()).select_from(SmsMessage).where(
                SmsMessage.status == MessageStatus.SENT)) or 0
            distinct_sids = db.session.scalar(select(func.count(func.distinct(
                SmsMessage.provider_id)))) or 0
            db.session.remove()
            db.engine.dispose()
        rate = sent / elapsed
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker_cpu = children.ru_utime + children.ru_stime
        print(f"sms_worker ({args.workers} worker processes): {sent:,}/{total:,} messages sent "
              f"in {elapsed:.2f} s = {rate:,.0f} msg/s; distinct provider ids {distinct_sids:,} "
              f"(target >= 200/s: {'met' if rate >= 200 and sent == total else 'NOT met'})")
        server.terminate()
        server.wait(10)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        total_cpu = children.ru_utime + children.ru_stime
        print(f"  CPU: workers {worker_cpu:.1f} s, fake server {total_cpu - worker_cpu:.1f} s "
              f"= {1000 * total_cpu / max(sent, 1):.1f} CPU-ms per message (PostgreSQL not "
              f"counted); machine load average now {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores")
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
