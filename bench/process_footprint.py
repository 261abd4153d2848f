"""Benchmark: memory (RSS and PSS) and CPU of each process type under a small load, the figures the
resource requests and limits of deploy/kubernetes/ and compose.yaml come from.

A private PostgreSQL cluster (bench/db_connections.py) with the migrations, one tenant, an API
key and --invoices invoices. Redis: REDIS_URL (its own queue prefix, deleted afterwards). Then,
one after the other, each sampled every 0.2 s through /proc (smaps_rollup for PSS and RSS,
stat for CPU time):

  web       `docker/entrypoint.sh web` with one uvicorn process, 8 API clients for --seconds
  pdf       a worker on the pdf queue (2 processes) rendering --invoices PDFs (bulk generate)
  email     a worker on the email queue (2 processes) sending --invoices emails (console backend)
  webhooks  a worker on the webhooks queue (2 processes), running the delivery sweep
  default   a worker on the default queue (2 processes), running reminders and the Stripe sweep
  beat      celery beat for --seconds

A worker's figure is its main process plus its pool processes. CPU is the mean over the run,
in millicores (1000 = one core busy), and the peak over any 1 s window.

    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/process_footprint.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from db_connections import _prepare_database, private_postgres  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    pids = [pid]
    for child in children:
        pids += _tree(int(child))
    return pids


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts[0] in ("Rss:", "Pss:"):
                values[parts[0]] = int(parts[1])
    except OSError:
        return 0, 0
    return values.get("Rss:", 0), values.get("Pss:", 0)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


@dataclass
class Sampler:
    root_pid: Callable[[], int]
    samples: list[tuple[float, int, int, float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _cpu_done: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.root_pid())
            rss = pss = 0
            cpu = 0.0
            for pid in pids:
                process_rss, process_pss = _memory(pid)
                rss += process_rss
                pss += process_pss
                self._cpu_done[pid] = max(self._cpu_done.get(pid, 0.0), _cpu_seconds(pid))
            cpu = sum(self._cpu_done.values())  # recycled pool processes keep their share
            self.samples.append((time.monotonic(), rss, pss, cpu, len(pids)))
            time.sleep(0.2)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        first, last = self.samples[0], self.samples[-1]
        mean_cpu = (last[3] - first[3]) / max(last[0] - first[0], 1e-9)
        peak_cpu = 0.0
        for index, sample in enumerate(self.samples):
            later = [s for s in self.samples[index:] if s[0] - sample[0] >= 1.0]
            if later:
                peak_cpu = max(peak_cpu, (later[0][3] - sample[3]) / (later[0][0] - sample[0]))
        return {
            "rss_max": max(s[1] for s in self.samples) / 1024,
            "pss_max": max(s[2] for s in self.samples) / 1024,
            "pss_mean": sum(s[2] for s in self.samples) / len(self.samples) / 1024,
            "cpu_mean": mean_cpu * 1000,
            "cpu_peak": peak_cpu * 1000,
            "processes": max(s[4] for s in self.samples),
        }


def measure_worker(
    queue: str, load: Callable[[], Callable[[], bool]], args, workdir: Path
) -> dict[str, float]:
    from invoiceflow.testing.celery_worker import app_sending_to, database_environ, start_worker, stop_worker

    prefix = f"bench-footprint-{os.getpid()}."
    worker = start_worker(
        broker_url=os.environ["REDIS_URL"],
        log_dir=workdir,
        extra_env={**database_environ(), "MEDIA_ROOT": str(workdir / "media"), "LOG_LEVEL": "WARNING"},
        queues=(queue,),
        prefix=prefix,
    )
    try:
        with app_sending_to(worker):
            sampler = Sampler(lambda: worker.pid)
            sampler.start()
            done = load()
            deadline = time.monotonic() + args.seconds * 4
            while time.monotonic() < deadline and not done():
                time.sleep(0.5)
            time.sleep(1)
            return sampler.stop()
    finally:
        stop_worker(worker)
        with worker.control.connection_for_write() as conn:
            conn.default_channel.queue_delete(f"{prefix}{queue}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--invoices", type=int, default=60)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Needs REDIS_URL (the broker).")

    workdir = Path(tempfile.mkdtemp(prefix="bench-footprint-"))
    results: dict[str, dict[str, float]] = {}
    try:
        with private_postgres(workdir) as port:
            urls = _prepare_database(port, workdir)
            for name in list(os.environ):
                if name.startswith(("DATABASE_", "TEST_DATABASE")):
                    del os.environ[name]
            os.environ["DATABASE_URL"] = urls["DATABASE_URL"]
            os.environ["MEDIA_ROOT"] = str(workdir / "media")
            import django

            django.setup()
            from django.conf import settings
            from django.db import connection

            from api.services import api_key_create
            from delivery import services as sending
            from delivery.models import OutgoingMessage
            from documents import bulk as documents
            from documents.models import InvoiceDocument
            from invoiceflow.testing.load import Client, run_load
            from invoiceflow.testing.web_server import start_web, stop_web
            from invoices.tests.factories import ClientFactory, line, make_invoice
            from tenants.models import Role
            from tenants.scoping import tenant_scope
            from tenants.tests.factories import MembershipFactory

            settings.MEDIA_ROOT = workdir / "media"
            settings.DOCUMENT_RATE_LIMIT = 10**6
            owner = MembershipFactory(role=Role.OWNER)
            tenant = owner.tenant
            with tenant_scope(tenant):
                client = ClientFactory(currency="EUR", emails=["client@example.test"])
                invoices = [
                    make_invoice(
                        actor=owner, client=client, lines=[line(f"Work {i}") for i in range(5)]
                    ).public_id
                    for i in range(args.invoices)
                ]
                key = api_key_create(actor=owner, name="bench", role=Role.OWNER).secret
            connection.close()
            connection.close_pool()

            # --- web
            server = start_web(
                database_url=urls["DATABASE_URL"],
                log_dir=workdir,
                workers=1,
                extra_env={"API_RATE_LIMIT": str(10**9), "REDIS_URL": os.environ["REDIS_URL"]},
            )
            try:
                uvicorn_worker = _tree(server.process.pid)[-1]
                sampler = Sampler(lambda: uvicorn_worker)
                sampler.start()
                clients = [Client("/api/v1/invoices/", {"Authorization": f"Bearer {key}"}) for _ in range(8)]
                load = run_load(server, clients, seconds=args.seconds, monitor_url=urls["admin"])
                results["web (1 uvicorn process)"] = sampler.stop()
                print(f"web: {load.requests_per_second:.0f} req/s, {load.server_errors} 5xx", flush=True)
            finally:
                stop_web(server)

            # --- pdf
            def render_all() -> Callable[[], bool]:
                with tenant_scope(tenant):
                    documents.bulk_generate(actor=owner, invoices=invoices)

                def done() -> bool:
                    with tenant_scope(tenant):
                        return not InvoiceDocument.objects.exclude(status="ready").exists()

                return done

            results["worker pdf (2 processes)"] = measure_worker("pdf", render_all, args, workdir)

            # --- email
            def send_all() -> Callable[[], bool]:
                with tenant_scope(tenant):
                    messages = [
                        sending.invoice_send(actor=owner, invoice=public_id, finalize=True).pk
                        for public_id in invoices
                    ]

                def done() -> bool:
                    with tenant_scope(tenant):
                        return not OutgoingMessage.objects.filter(
                            pk__in=messages, sent_at__isnull=True
                        ).exists()

                return done

            results["worker email (2 processes)"] = measure_worker("email", send_all, args, workdir)

            def sweeps(*names: str) -> Callable[[], Callable[[], bool]]:
                def load() -> Callable[[], bool]:
                    from invoiceflow.celery import app

                    for _ in range(20):
                        for name in names:
                            app.send_task(name)
                    until = time.monotonic() + args.seconds
                    return lambda: time.monotonic() > until

                return load

            results["worker webhooks (2 processes)"] = measure_worker(
                "webhooks", sweeps("webhooks.deliver_due"), args, workdir
            )
            results["worker default (2 processes)"] = measure_worker(
                "default",
                sweeps("invoices.dispatch_reminders", "billing.tasks.requeue_stale_stripe_events"),
                args,
                workdir,
            )

            # --- beat
            env = {**os.environ, "CELERY_BEAT_SCHEDULE_FILE": str(workdir / "beat-schedule")}
            env["CELERY_QUEUE_PREFIX"] = f"bench-footprint-beat-{os.getpid()}."
            beat = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "invoiceflow", "beat", "--loglevel", "WARNING",
                 "--schedule", str(workdir / "beat-schedule")],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                time.sleep(3)
                sampler = Sampler(lambda: beat.pid)
                sampler.start()
                time.sleep(args.seconds)
                results["beat"] = sampler.stop()
            finally:
                beat.terminate()
                beat.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    columns = ("RSS max", "PSS max", "PSS mean")
    print(
        f"\n  {'process type':<32} "
        + " ".join(f"{c:>8}" for c in columns)
        + f" {'CPU mean':>9} {'CPU peak':>9}"
    )
    print(f"  {'':<32} {'MiB':>8} {'MiB':>8} {'MiB':>8} {'mcores':>9} {'mcores':>9}")
    for name, row in results.items():
        print(
            f"  {name:<32} {row['rss_max']:>8.0f} {row['pss_max']:>8.0f} {row['pss_mean']:>8.0f} "
            f"{row['cpu_mean']:>9.0f} {row['cpu_peak']:>9.0f}"
        )
    print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(
        f"Rerun: REDIS_URL={os.environ['REDIS_URL']} .venv/bin/python bench/process_footprint.py "
        f"--seconds {args.seconds:.0f} --invoices {args.invoices}"
    )


if __name__ == "__main__":
    main()
