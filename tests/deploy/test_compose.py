"""docker-compose.yml, deploy/.env.example and deploy/endpoints.compose.yml stay valid and in step
with the code, without Docker (the stack cannot run on this machine). Each failure names the
variable, service or class and the file to change. Runs in well under 2 s: nothing is imported
but the package `__init__`s that `importlib.util.find_spec` needs.
"""
from __future__ import annotations

import ast
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple
from urllib.parse import urlsplit

import pytest
import yaml

from devstack.cluster import LOCK_STORE
from tests.deploy.envscan import ROOT, closure, module_file, readers_by_variable, variables_of

COMPOSE = ROOT / "docker-compose.yml"
TEST_SERVICES = ROOT / "deploy" / "test-services.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
ENDPOINTS = ROOT / "deploy" / "endpoints.compose.yml"
CREDENTIALS = ROOT / "credentials.yml"
RASA_CONFIG = ROOT / "config.yml"

# Variables our code reads that the compose deployment leaves unset on purpose.
NOT_DEPLOYED = {
    "LEDGER_KEY_FILE": "the embedded SQLite default only; compose runs PostgreSQL with LEDGER_KEYS",
    "PUSH_IN_GATEWAY": "the embedded default only; with REDIS_URL the gateway runs no push worker",
    "PUSH_KEY_PREFIX": "Redis key layout (deploy/endpoints.compose.yml); tests give each run its own",
    "PUSH_STORE_PREFIX": "must equal the gateway's own `gw:`; tests give each run its own",
    "POLICY_KB_DIR": "compose mounts policy_kb/data at the default path; tests point at a copy",
    "STAFF_PASSWORD": "given to one `python -m console add-user` run, never kept in a file",
}
# Variables a process's modules read that the process does not need in compose.
NOT_NEEDED = {
    "gateway": ({"DATABASE_URL", "LEDGER_KEYS", "LEDGER_HASH_KEY", "LEDGER_RETENTION_DAYS", "LEDGER_DRAFT_DAYS",
                 "WECHAT_TEMPLATE_ID", "WECHAT_TEMPLATE_DAILY_QUOTA"} | {v for v in readers_by_variable() if v.startswith("PUSH_")},
                "the embedded push worker's settings: with REDIS_URL the gateway runs none"),
    "push": ({"GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_METRICS_HOST", "GATEWAY_METRICS_PORT", "RASA_URL", "WEB_CHAT",
              "WEB_CHAT_SESSION_LIMIT", "WEB_CHAT_ADDRESS_LIMIT"},
             "the worker reads the gateway's settings for the channels only"),
}
# Variables compose sets for programs that are not ours.
THIRD_PARTY = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "TICKET_LOCK_LIFETIME"}
RASA_BUILT_IN = {"lock_store": {"redis", "in_memory"},
                 "tracker_store": {"redis", "mongod", "sql", "dynamo", "in_memory"},
                 "event_broker": {"pika", "kafka", "sql"}}
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?][^}]*)?\}")
ENV_LINE = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)")


@lru_cache(maxsize=None)
def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def services(path: Path = COMPOSE) -> Dict[str, Dict[str, Any]]:
    return load_yaml(path)["services"]


def environment(service: Dict[str, Any]) -> Dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def strings(node: Any) -> Iterator[str]:
    """Every string in a parsed YAML document (comments are gone, so examples in them are not)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def interpolations() -> Dict[str, Set[str]]:
    """`${VAR…}` in docker-compose.yml → the services (or top-level keys) that use it."""
    used: Dict[str, Set[str]] = {}
    for name, service in services().items():
        for text in strings(service):
            for match in INTERPOLATION.finditer(text):
                used.setdefault(match.group(1), set()).add(name)
    return used


def required_interpolations() -> Set[str]:
    return {m.group(1) for text in strings(services()) for m in INTERPOLATION.finditer(text)
            if (m.group(2) or "").startswith(":?")}


def env_example() -> List[Tuple[str, str, List[str]]]:
    """(name, value, comment lines just above it, below any `# ---` heading) for each setting of
    deploy/.env.example."""
    entries, comment = [], []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ---"):  # a section heading
            comment = []
        elif line.startswith("#"):
            comment.append(line.lstrip("# "))
        elif ENV_LINE.fullmatch(line):
            name, value = ENV_LINE.fullmatch(line).groups()
            entries.append((name, value, comment))
            comment = []
        else:
            assert not line.strip(), f"deploy/.env.example: {line!r} is neither a comment nor NAME=value"
            comment = []
    return entries


def example_names() -> Set[str]:
    return {name for name, _, _ in env_example()}


def set_by_compose() -> Set[str]:
    """Variables docker-compose.yml writes into some service's environment."""
    return {key for service in services().values() for key in environment(service)}


def command_module(service: Dict[str, Any]) -> str:
    command = service["command"]
    assert command[:2] == ["python", "-m"], f"command {command} does not start with python -m"
    return command[2]


def our_services() -> Dict[str, Dict[str, Any]]:
    return {name: service for name, service in services().items() if "build" in service}


def class_paths(document: Any) -> Iterator[str]:
    """Dotted class paths named in a Rasa config, credentials or endpoints file."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("type", "name") and isinstance(value, str) and "." in value:
                yield value
            elif isinstance(key, str) and "." in key and key[0].islower():
                yield key
            yield from class_paths(value)
    elif isinstance(document, list):
        for item in document:
            yield from class_paths(item)


def rasa_modules() -> Set[str]:
    """What the Rasa server loads of ours besides its command: the REST channel, the tracker
    store, the tokenizer and the policy named in its files."""
    documents = (load_yaml(CREDENTIALS), load_yaml(ENDPOINTS), load_yaml(RASA_CONFIG))
    return {path.rpartition(".")[0] for document in documents for path in class_paths(document)}


def service_roots(service: Dict[str, Any]) -> Set[str]:
    module = command_module(service)
    roots = {module, f"{module}.__main__"}
    return roots | rasa_modules() if module == "nlu.server.serve" else roots


# --- the compose files ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", [COMPOSE, TEST_SERVICES], ids=lambda p: p.name)
def test_every_service_has_a_health_check(path: Path) -> None:
    missing = [name for name, service in services(path).items()
               if not (service.get("healthcheck") or {}).get("test") or service["healthcheck"].get("disable")]
    assert not missing, f"{path.relative_to(ROOT)}: services without a healthcheck: {', '.join(missing)}"


def test_postgres_and_redis_are_the_official_images_and_ours_is_built_from_the_repo() -> None:
    images = {name: service.get("image") for name, service in services().items()}
    assert images["postgres"].startswith("postgres:15") and images["redis"].startswith("redis:7")
    assert set(our_services()) == {"rasa", "actions", "gateway", "push", "console"}
    assert {service["build"] for service in our_services().values()} == {"."}
    assert len({service.get("image") for service in our_services().values()}) == 1, "one image for every process"


def test_replicable_services_have_no_fixed_name_or_host_port() -> None:
    for name in ("rasa", "actions", "gateway", "push"):
        service = services()[name]
        assert "container_name" not in service, f"docker-compose.yml: {name} has a container_name: --scale fails"
        assert not service.get("ports"), f"docker-compose.yml: {name} publishes a host port: --scale fails"


def test_every_command_module_exists() -> None:
    for name, service in our_services().items():
        module = command_module(service)
        spec = importlib.util.find_spec(module)
        assert spec is not None, f"docker-compose.yml: service {name} runs `python -m {module}`, which does not exist"
        if spec.submodule_search_locations:
            assert importlib.util.find_spec(f"{module}.__main__"), f"docker-compose.yml: {module} has no __main__"


def test_files_named_by_commands_and_mounts_exist() -> None:
    for name, service in services().items():
        for arg in service.get("command") or []:
            if str(arg).startswith("/app/") and not str(arg).startswith("/app/models/"):
                path = ROOT / str(arg)[len("/app/"):]
                assert path.exists(), f"docker-compose.yml: service {name} names {arg}, but {path.relative_to(ROOT)} is missing"
        for volume in service.get("volumes") or []:
            source = str(volume).split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"docker-compose.yml: service {name} mounts {source}, which is missing"


def test_the_model_goes_into_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "models/*" in ignored and "!models/current.tar.gz" in ignored and ".env" in ignored
    model_args = {arg for service in our_services().values() for arg in service["command"] if "/models/" in str(arg)}
    assert model_args == {"/app/models/current.tar.gz"}
    assert "models/current.tar.gz" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_urls_in_compose_name_its_services() -> None:
    for name, service in services().items():
        for key, value in environment(service).items():
            if "://" in value:
                for url in INTERPOLATION.sub("x", value).split(","):
                    host = urlsplit(url).hostname
                    assert host in services(), f"docker-compose.yml: {name} {key}={url}: no service named {host!r}"


def test_gateway_and_workers_share_redis_and_the_gateway_runs_no_worker() -> None:
    gateway, push = environment(services()["gateway"]), environment(services()["push"])
    assert gateway.get("REDIS_URL") and gateway["REDIS_URL"] == push.get("REDIS_URL"), \
        "docker-compose.yml: gateway and push need the same REDIS_URL (without it the gateway runs a worker inside)"


# --- the settings ------------------------------------------------------------------------------------

def test_every_compose_variable_is_in_env_example() -> None:
    missing = {var: sorted(users) for var, users in interpolations().items() if var not in example_names()}
    assert not missing, "".join(
        f"\n  ${{{var}}} (docker-compose.yml, services {', '.join(users)}) is missing from deploy/.env.example"
        for var, users in sorted(missing.items()))


def test_every_env_example_variable_reaches_compose() -> None:
    unused = sorted(example_names() - set(interpolations()))
    assert not unused, "".join(
        f"\n  {var} is in deploy/.env.example but docker-compose.yml never uses ${{{var}}}: pass it to the "
        f"services that read it" for var in unused)


def test_env_example_lists_each_variable_once_with_a_comment() -> None:
    names = [name for name, _, _ in env_example()]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"deploy/.env.example lists these twice: {', '.join(duplicates)}"
    for name, _, comment in env_example():
        assert comment, f"deploy/.env.example: {name} has no comment above it"
        assert re.match(r"(REQUIRED|OPTIONAL|With \w+: REQUIRED)\.", comment[0]), \
            f"deploy/.env.example: the comment of {name} starts with REQUIRED., OPTIONAL. or 'With X: REQUIRED.'"


def test_required_in_env_example_exactly_when_compose_requires_it() -> None:
    required = {name for name, _, comment in env_example() if comment[0].startswith("REQUIRED.")}
    in_compose = required_interpolations()
    assert required == in_compose, (
        f"marked REQUIRED in deploy/.env.example but not ${{VAR:?…}} in docker-compose.yml: {sorted(required - in_compose)}; "
        f"${{VAR:?…}} in docker-compose.yml but not REQUIRED in deploy/.env.example: {sorted(in_compose - required)}")


def test_env_example_holds_no_secret() -> None:
    for name, value, comment in env_example():
        if any("Secret." in line for line in comment):
            assert not value, f"deploy/.env.example: {name} is a secret and must be empty in the example"


def test_the_scan_finds_the_settings_readers() -> None:
    """The scan below is only as good as its patterns: it must see each kind of read."""
    found = readers_by_variable()
    for name in ("LEDGER_KEYS", "PUSH_CONCURRENCY", "WECHAT_APP_ID", "PUSH_IN_GATEWAY", "CONSOLE_SESSION_HOURS",
                 "LEDGER_RETENTION_DAYS", "STAFF_PASSWORD"):
        assert name in found, f"tests/deploy/envscan.py no longer finds {name}: the settings readers changed shape"


def test_every_variable_our_code_reads_is_deployed_or_exempt() -> None:
    covered = example_names() | set_by_compose() | set(NOT_DEPLOYED)
    missing = {var: files for var, files in readers_by_variable().items() if var not in covered}
    assert not missing, "".join(
        f"\n  {var} (read in {', '.join(files)}) is in neither deploy/.env.example nor a service's environment in "
        f"docker-compose.yml: add it to deploy/.env.example with a comment and pass ${{{var}:-}} to the services "
        f"that read it, or to NOT_DEPLOYED in tests/deploy/test_compose.py with the reason"
        for var, files in sorted(missing.items()))


def test_compose_sets_only_variables_something_reads() -> None:
    unread = sorted(set_by_compose() - set(readers_by_variable()) - THIRD_PARTY)
    assert not unread, "".join(
        f"\n  docker-compose.yml sets {var}, which no code of ours reads (a typo, or a setting that was removed?)"
        for var in unread)


def test_exemptions_are_still_read_by_the_code() -> None:
    stale = sorted(set(NOT_DEPLOYED) - set(readers_by_variable()))
    assert not stale, f"NOT_DEPLOYED in tests/deploy/test_compose.py names variables no code reads: {stale}"


@pytest.mark.parametrize("name", ["rasa", "actions", "gateway", "push", "console"])
def test_each_process_gets_the_variables_it_reads(name: str) -> None:
    service = our_services()[name]
    exempt, reason = NOT_NEEDED.get(name, (set(), ""))
    given = set(environment(service)) | set(NOT_DEPLOYED) | exempt
    missing = {var: modules for var, modules in variables_of(closure(service_roots(service))).items()
               if var not in given}
    assert not missing, "".join(
        f"\n  service {name} runs {', '.join(modules)}, which reads {var}: docker-compose.yml does not give it "
        f"to {name}" for var, modules in sorted(missing.items()))


# --- Rasa's endpoints --------------------------------------------------------------------------------

def test_endpoints_name_importable_classes_or_rasa_types() -> None:
    endpoints = load_yaml(ENDPOINTS)
    assert endpoints["lock_store"]["type"] == LOCK_STORE, "deploy/endpoints.compose.yml: Rasa needs the shared Redis lock store"
    for section in ("lock_store", "tracker_store", "event_broker"):
        kind = (endpoints.get(section) or {}).get("type")
        if kind is None or kind in RASA_BUILT_IN[section]:
            continue
        module, _, cls = kind.rpartition(".")
        path = module_file(module)
        assert path is not None, f"deploy/endpoints.compose.yml: {section} type {kind}: module {module} does not exist"
        classes = {node.name for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)}
        assert cls in classes, f"deploy/endpoints.compose.yml: {section} type {kind}: {path.relative_to(ROOT)} defines no {cls}"


def test_credentials_and_pipeline_classes_exist() -> None:
    for module in rasa_modules():
        assert module_file(module) is not None, f"credentials.yml, config.yml or endpoints: {module} does not exist"


def test_endpoints_hosts_are_compose_services() -> None:
    endpoints = load_yaml(ENDPOINTS)
    assert urlsplit(endpoints["action_endpoint"]["url"]).hostname in services()
    assert endpoints["lock_store"]["url"] in services()


def test_rasa_keeps_apart_from_gateway_and_push_in_redis() -> None:
    """Rasa's locks and trackers in another Redis database than the gateway's `gw:` and the push
    queue's `push:` keys, and under the prefix `rasa`."""
    lock = load_yaml(ENDPOINTS)["lock_store"]
    assert str(lock.get("key_prefix", "")).isalnum(), "Rasa ignores a key_prefix that is not letters and digits"
    shared_db = int(urlsplit(environment(services()["gateway"])["REDIS_URL"]).path.strip("/") or 0)
    tracker = urlsplit(environment(services()["rasa"])["TRACKER_STORE_URL"])
    assert int(lock["db"]) != shared_db
    if tracker.scheme.startswith("redis"):
        assert int(tracker.path.strip("/") or 0) != shared_db
