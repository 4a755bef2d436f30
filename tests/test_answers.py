"""Questions: derived defaults, and bad answers refused with the validator's own message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .helpers import TEMPLATE, render


@pytest.mark.parametrize(
    ("project_name", "package"),
    [
        ("My Bot", "my_bot"),
        ("Weather-Bot 3000!", "weather_bot_3000"),
        ("42 Answers", "bot_42_answers"),
    ],
)
def test_package_name_is_derived(tmp_path: Path, project_name: str, package: str) -> None:
    render(tmp_path, project_name=project_name)
    assert (tmp_path / "src" / package / "__main__.py").is_file()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"package_name": "1bot"}, "starts with a digit"),
        ({"package_name": "my-bot"}, "not a lowercase Python identifier"),
        ({"package_name": "MyBot"}, "not a lowercase Python identifier"),
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "telegram"}, "would shadow"),
        ({"package_name": ""}, "cannot be empty"),
        ({"project_name": "  "}, "cannot be empty"),
        ({"author_email": "nobody"}, "is not an e-mail address"),
        ({"persistence": "redis"}, "redis"),
        ({"license": "WTFPL"}, "WTFPL"),
    ],
)
def test_bad_answers_are_refused(tmp_path: Path, answers: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render(tmp_path / "bot", **answers)
    assert not (tmp_path / "bot").exists()


def test_every_question_has_a_default() -> None:
    questions = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
    for name, spec in questions.items():
        if not name.startswith("_"):
            assert "default" in spec, f"question {name} has no default"


def test_defaults_render(tmp_path: Path) -> None:
    render(tmp_path)
    answers = yaml.safe_load((tmp_path / ".copier-answers.yml").read_text())
    assert answers["persistence"] == "pickle"
    assert answers["package_name"] == "my_bot"
    assert "BOT_TOKEN" not in (tmp_path / ".copier-answers.yml").read_text()
