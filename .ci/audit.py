"""Known vulnerabilities in the installed packages (pip-audit), as CI decides about them.

Run with the environment's Python: `.venv/bin/python .ci/audit.py`. It audits that
environment (the project itself, installed editable, is not a published package and is
skipped) against the OSV vulnerability database, and:

- exits 0 with one line when the database cannot be reached (a network that reaches only a
  package mirror, a database that is down): CI goes on, the line says the audit was skipped;
- exits 1 when a package has a known vulnerability with a fixed version: upgrade the pin in
  pyproject.toml to that version (or later) and run the tests of what uses it;
- exits 0, listing them, for known vulnerabilities that no released version fixes yet: there
  is nothing to upgrade to, and failing every run would only teach people to ignore it;
- exits 1 when pip-audit itself fails for any other reason, so a broken audit is noticed.
"""

import json
import os
import subprocess
import sys
import tempfile

TIMEOUT = 10  # seconds for each request to the database
LIMIT = 300  # seconds for the whole audit
# What pip-audit prints when the database is out of reach (requests' and pip-audit's errors).
UNREACHABLE = (
    "ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout", "SSLError", "ProxyError",
    "NameResolutionError", "HTTPError", "ServiceError", "Max retries exceeded",
)  # fmt: skip


def main() -> int:
    binary = os.path.join(os.path.dirname(sys.executable), "pip-audit")
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "audit.json")
        command = [
            binary, "--local", "--skip-editable", "--vulnerability-service", "osv",
            "--timeout", str(TIMEOUT), "--progress-spinner", "off",
            "--format", "json", "--output", report,
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=LIMIT)  # noqa: S603 - a fixed command
        except subprocess.TimeoutExpired:
            print(f"pip-audit: no answer from the vulnerability database in {LIMIT} s; skipped.")
            return 0
        if not os.path.exists(report):
            errors = done.stderr.strip()
            if any(sign in errors for sign in UNREACHABLE):
                last = errors.splitlines()[-1][:160] if errors else ""
                print(f"pip-audit: the vulnerability database cannot be reached; skipped ({last})")
                return 0
            print("pip-audit failed:", errors or done.stdout, sep="\n")
            return 1
        with open(report) as file:
            found = json.load(file)
    fixable, unfixed = [], []
    for package in found.get("dependencies", []):
        for vulnerability in package.get("vulns", []):
            fixes = vulnerability.get("fix_versions") or []
            line = f"{package['name']} {package['version']}: {vulnerability['id']}"
            if fixes:
                fixable.append(f"{line}, fixed in {', '.join(fixes)}")
            else:
                unfixed.append(f"{line}, no fixed version yet")
    audited = sum(1 for p in found.get("dependencies", []) if "skip_reason" not in p)
    if not audited:
        print("pip-audit: the database knew none of the installed packages; skipped.")
        return 0
    for line in unfixed:
        print(f"pip-audit: known, not fixable yet: {line}")
    if fixable:
        print("pip-audit: upgrade these pins in pyproject.toml:")
        for line in fixable:
            print(f"  {line}")
        return 1
    print(f"pip-audit: {audited} packages audited, none with a known vulnerability to fix.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
