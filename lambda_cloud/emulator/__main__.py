"""``python -m lambda_cloud.emulator``: serve the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence

from .server import Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lambda_cloud.emulator",
        description="Serve a local emulator of the Lambda Cloud API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to bind, 0 for any (8080)")
    parser.add_argument("--api-key", help="API key of the default account (generated if unset)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply every delay and rate limit by this (1.0)",
    )
    parser.add_argument("--seed", type=int, help="seed for ids and fault probabilities")
    parser.add_argument("--boot-delay", type=float, default=1.0, help="seconds to boot (1.0)")
    parser.add_argument(
        "--terminate-delay", type=float, default=0.5, help="seconds to terminate (0.5)"
    )
    parser.add_argument(
        "--enforce-rate-limits",
        action="store_true",
        help="answer 429 past the documented rate limits",
    )
    return parser


async def _serve(emulator: Emulator) -> None:
    await emulator.start()
    try:
        print(f"base_url: {emulator.base_url}", flush=True)
        print(f"api_key:  {emulator.api_key}", flush=True)
        print("Serving; press Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, serve until interrupted, return the exit status."""
    args = _parser().parse_args(argv)
    emulator = Emulator(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        boot_delay=args.boot_delay,
        terminate_delay=args.terminate_delay,
        time_scale=args.time_scale,
        seed=args.seed,
        enforce_rate_limits=args.enforce_rate_limits,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(emulator))
    return 0


if __name__ == "__main__":
    sys.exit(main())
