"""nlu/rasa_patches.py: the graph runner with each target set's graph built once gives what
Rasa's own runner gives, run after run, whatever the targets and inputs."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, List, Text

import pytest
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from nlu import rasa_patches

RASAS_RUN = DaskGraphRunner.run


class Add(GraphComponent):
    """Adds what it is given, plus a constant of its own."""

    def __init__(self, constant: int) -> None:
        self.constant = constant

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "Add":
        return cls(config["constant"])

    def add(self, **numbers: int) -> int:
        return self.constant + sum(numbers.values())


def node(constant: int, **needs: Text) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Add, fn="add", constructor_name="create", config={"constant": constant})


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[DaskGraphRunner]:
    # a diamond with a shared dependency (Rasa walks it twice) and a branch only one target needs
    schema = GraphSchema({"base": node(1, x="__input__"), "left": node(10, b="base"), "right": node(100, b="base"),
                          "joined": node(1000, l="left", r="right"), "other": node(5, x="__input__")})
    yield DaskGraphRunner(schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "test"))


def run_both(runner: DaskGraphRunner, inputs: Dict[Text, Any], targets: List[Text]) -> Dict[Text, Any]:
    expected = RASAS_RUN(runner, inputs, targets)
    got = rasa_patches._run(runner, inputs, targets)
    assert got == expected
    return got


def test_same_results_as_rasas_runner_for_every_target_set_and_input(runner: DaskGraphRunner) -> None:
    assert run_both(runner, {"__input__": 2}, ["joined"]) == {"joined": 1000 + (10 + 3) + (100 + 3)}
    assert run_both(runner, {"__input__": 7}, ["joined"]) == {"joined": 1000 + 18 + 108}  # new inputs, cached graph
    assert run_both(runner, {"__input__": 7}, ["left", "other"]) == {"left": 18, "other": 12}
    assert run_both(runner, {"__input__": 0}, ["joined"]) == {"joined": 1112}


def test_each_target_set_builds_its_graph_once_with_only_what_it_needs(runner: DaskGraphRunner) -> None:
    for value in range(3):
        rasa_patches._run(runner, {"__input__": value}, ["other"])
        rasa_patches._run(runner, {"__input__": value}, ["left"])
    graphs = runner.__dict__[rasa_patches._GRAPHS]
    assert set(graphs) == {("other",), ("left",)} and set(graphs[("left",)]) == {"base", "left"}
