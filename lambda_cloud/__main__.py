"""``python -m lambda_cloud``: the ``lambda-cloud`` command line (needs the ``cli`` extra)."""

from lambda_cloud.cli import main

if __name__ == "__main__":
    main()
