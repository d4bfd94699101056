"""AppTest: the Train page's configuration is what it says -- refused values stay refused next to their field,
page switches and watch links keep the configuration honest, a run's control never sits in the address."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from agents.config.run_config import build_config
from agents.runs.manager import get_manager
from agents.runs.run import RunStatus
from tests.test_app_pages import app_at, run_param, shown, texts, wait_until

pytestmark = pytest.mark.usefixtures("_no_entrypoint_rerun")


@pytest.fixture
def _no_entrypoint_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.common

    monkeypatch.setattr(ui.common, "require_entrypoint", lambda: None)


def start_button(at: AppTest):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == "Start training")


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


# --- 8.2: out-of-range values are refused next to the field, never replaced ---------------------------------


def test_no_number_field_has_browser_bounds() -> None:
    """A browser-side bound keeps the old value and shows only a red mark: every bound is the schema's."""
    at = app_at("pages/train.py", env="MountainCar-v0", algo="dqn", potential="energy")
    assert not at.exception
    assert len(at.number_input) > 10
    bounded = [n.label for n in at.number_input if n.proto.has_min or n.proto.has_max]
    assert bounded == []


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("hp_learning_rate", 5.0, "learning_rate must be between"),
        ("hp_n_steps", 0, "n_steps must be between"),
        ("cfg_seed", -1, "seed must be between 0 and"),
        ("cfg_timesteps", 0, "timesteps must be between 1 and"),
        ("cfg_timesteps", 6_000_000, "timesteps must be between 1 and 5_000_000"),
        ("sh_living_reward", 5000.0, "living_reward must be between -1000 and 1000"),
        ("sh_reward_scale", 0.0, "reward_scale must not be 0"),
    ],
)
def test_an_out_of_range_value_is_refused_under_its_field(key: str, value: float, message: str) -> None:
    at = app_at("pages/train.py")
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert at.number_input(key=key).value == value, "what was typed stays in the field"
    assert any(message in e for e in errors(at)), errors(at)
    assert start_button(at).disabled
    assert any("Start is off" in shown(c.value) for c in at.sidebar.caption)


def test_a_refused_learning_rate_is_never_trained_and_the_corrected_one_is() -> None:
    at = app_at("pages/train.py")
    at.number_input(key="hp_learning_rate").set_value(5.0).run()
    url_before = dict(at.query_params)
    assert start_button(at).disabled and "learning_rate" not in url_before  # the address keeps the last valid one
    at.number_input(key="hp_learning_rate").set_value(0.0005).run()
    assert not errors(at) and not start_button(at).disabled
    start_button(at).click().run()
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.hyperparams["learning_rate"] == 0.0005


def test_a_combination_error_shows_under_the_field_it_names() -> None:
    at = app_at("pages/train.py")
    at.selectbox(key="cfg_preset").set_value("defaults").run()
    at.number_input(key="hp_batch_size").set_value(8192).run()
    assert any("batch_size (8192) must not exceed" in e for e in errors(at))
    assert start_button(at).disabled


def test_the_number_of_seeds_is_bounded_by_its_schema() -> None:
    at = app_at("pages/train.py")
    at.number_input(key="seed_count").set_value(11).run()
    assert any("seeds must be between 2 and 10" in e for e in errors(at))
    assert next(b for b in at.button if b.label.startswith("Run ") and "seeds" in b.label).disabled


def test_seed_k_of_run_n_seeds_is_the_run_start_trains_with_seed_k() -> None:
    """Issue 10 item 4: the runs *Run N seeds* queues differ from what Start trains in their seed only (that one
    configuration learns the same weights by either path is tests/test_reproducibility.py)."""
    at = app_at("pages/train.py", env="Acrobot-v1", algo="a2c", learning_rate="0.0005", seed="1", living_reward="-0.5")
    start_button(at).click().run()
    single = get_manager().get(run_param(at))
    assert single is not None
    before = {run.id for run in get_manager().runs()}
    at.number_input(key="seed_count").set_value(3).run()
    next(b for b in at.button if b.label == "Run 3 seeds (0-2)").click().run()
    queued = sorted((run for run in get_manager().runs() if run.id not in before), key=lambda run: run.config.seed)
    assert [run.config.seed for run in queued] == [0, 1, 2]
    assert queued[1].config == single.config
    assert queued[1].config.hyperparams["learning_rate"] == 0.0005


# --- 8.6 / 8.7: the configuration survives page switches; a watch link shows the watched run's ----------------


def test_the_configuration_survives_a_visit_to_another_page() -> None:
    at = app_at("pages/train.py", env="Acrobot-v1", algo="a2c", learning_rate="0.0005", seed="3")
    budget = at.number_input(key="cfg_timesteps").value
    at.switch_page("pages/runs.py").run()
    at.query_params.clear()  # as a browser's page switch does
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.selectbox(key="cfg_env").value == "Acrobot-v1" and at.selectbox(key="cfg_algo").value == "a2c"
    assert at.number_input(key="hp_learning_rate").value == 0.0005 and at.number_input(key="cfg_seed").value == 3
    assert at.number_input(key="cfg_timesteps").value == budget == build_config("Acrobot-v1", "a2c").total_timesteps
    assert at.query_params["learning_rate"] in ("0.0005", ["0.0005"])  # the address bar is a share link again


def test_a_preset_name_never_stands_beside_other_values() -> None:
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo", learning_rate="0.0005")
    assert at.selectbox(key="cfg_preset").value == "demo"
    preset_rate = build_config("CartPole-v1", "ppo", preset="demo").hyperparams["learning_rate"]
    notes = [shown(c.value) for c in at.sidebar.caption if "Changed from this preset" in c.value]
    assert notes == [f"Changed from this preset: learning_rate 0.0005 (preset: {preset_rate:g})."]
    at.selectbox(key="cfg_preset").set_value("zoo").run()  # a preset loads all of its values: no note
    assert not [c for c in at.sidebar.caption if "Changed from this preset" in c.value]


def test_a_watch_link_shows_the_watched_runs_configuration() -> None:
    config = build_config("LunarLander-v3", "dqn", timesteps=3_000, seed=5)
    run = get_manager().start(config, owner="someone-else-token-123")
    at = app_at("pages/train.py", run=run.id)
    assert not at.exception
    assert at.selectbox(key="cfg_env").value == "LunarLander-v3" and at.selectbox(key="cfg_algo").value == "dqn"
    assert at.number_input(key="cfg_seed").value == 5 and at.number_input(key="cfg_timesteps").value == 3_000
    params = {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}
    assert params["env"] == "LunarLander-v3" and params["algo"] == "dqn" and params["run"] == run.id


def test_opening_a_run_from_the_runs_page_in_the_same_session_loads_its_configuration() -> None:
    run = get_manager().start(build_config("Acrobot-v1", "ppo", timesteps=2_000, seed=4), owner="x" * 20)
    at = app_at("pages/train.py", env="CartPole-v1", algo="dqn")
    at.query_params.clear()
    at.query_params["run"] = run.id
    at.run()
    assert at.selectbox(key="cfg_env").value == "Acrobot-v1" and at.number_input(key="cfg_seed").value == 4


def _address(at: AppTest) -> dict[str, str]:
    return {k: v if isinstance(v, str) else v[0] for k, v in at.query_params.items()}


def _browser_still_shows(at: AppTest, address: dict[str, str]) -> None:
    """The next rerun carries ``address``: the browser asked for it before it showed the page's latest address."""
    at.query_params.clear()
    at.query_params.update(address)


def test_a_value_typed_just_before_start_is_the_one_trained_though_the_address_was_behind() -> None:
    """CI caught it in a browser: type a value, click Start at once, and the rerun carries the address from
    before the value. Read as a share link, it put the old value back in the field and trained on it."""
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo")
    before = _address(at)
    at.number_input(key="hp_learning_rate").set_value(0.0005).run()
    assert _address(at)["learning_rate"] == "0.0005"
    _browser_still_shows(at, before)
    start_button(at).click().run()
    assert at.number_input(key="hp_learning_rate").value == 0.0005, "what was typed stays in the field"
    run = get_manager().get(run_param(at))
    assert run is not None and run.config.hyperparams["learning_rate"] == 0.0005
    assert _address(at)["learning_rate"] == "0.0005" and _address(at)["run"] == run.id  # the address catches up


def test_a_run_just_started_stays_in_view_though_the_address_was_behind() -> None:
    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo")
    before = _address(at)
    start_button(at).click().run()
    run_id = run_param(at)
    _browser_still_shows(at, before)
    at.number_input(key="cfg_seed").set_value(7).run()
    assert run_param(at) == run_id and at.number_input(key="cfg_seed").value == 7


def test_a_share_link_of_a_configuration_this_session_left_long_ago_still_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only an address replaced moments ago is a late echo; after that it is a link a person followed."""
    import ui.address

    at = app_at("pages/train.py", env="CartPole-v1", algo="ppo")
    before = _address(at)
    at.number_input(key="hp_learning_rate").set_value(0.0005).run()
    monkeypatch.setattr(ui.address, "STALE_ADDRESS_S", 0.0)
    _browser_still_shows(at, before)
    at.run()
    assert at.number_input(key="hp_learning_rate").value != 0.0005


# --- 9.1: control never sits in the address ------------------------------------------------------------------


def test_starting_a_run_puts_no_control_token_in_the_address() -> None:
    at = app_at("pages/train.py")
    start_button(at).click().run()
    assert set(at.query_params) <= {"env", "algo", "run"}, dict(at.query_params)
    assert any(b.label == "Stop" for b in at.button)  # the owner controls it all the same


def test_an_old_ctl_token_in_a_link_is_dropped_and_gives_nothing() -> None:
    run = get_manager().start(build_config("CartPole-v1", "ppo", timesteps=20_000), owner="owner-token-abcdefgh")
    at = app_at("pages/train.py", run=run.id, ctl="owner-token-abcdefgh")
    assert "ctl" not in at.query_params
    assert not any(b.label in ("Stop", "Pause") for b in at.button)


def test_a_control_link_hands_over_pause_and_stop_of_that_run_only() -> None:
    from ui.common import control_link_token

    run = get_manager().start(build_config("CartPole-v1", "ppo", timesteps=50_000), owner="owner-token-abcdefgh")
    wrong = app_at("pages/train.py", run=run.id, control="not-the-token")
    assert not any(b.label in ("Stop", "Pause") for b in wrong.button) and "control" not in wrong.query_params
    at = app_at("pages/train.py", run=run.id, control=control_link_token(run))
    assert not at.exception
    assert "control" not in at.query_params, "the token leaves the address at once"
    assert any("control link" in shown(s.value) for s in at.success) and not at.warning
    at = wait_until(at, lambda a: any(b.label == "Stop" for b in a.button))
    next(b for b in at.button if b.label == "Stop").click().run()
    assert run.join(10) and run.status == RunStatus.STOPPED
    assert not any(b.label in ("Resume from checkpoint", "Delete run") for b in at.button)


# --- 9.3: one run at a time unless asked -------------------------------------------------------------------


def test_start_again_asks_and_stop_it_and_start_replaces_the_current_run() -> None:
    at = app_at("pages/train.py")
    start_button(at).click().run()
    first = get_manager().get(run_param(at))
    start_button(at).click().run()
    assert not at.exception
    assert "You already have a run training or waiting" in texts(at)
    assert run_param(at) == first.id, "nothing started before the answer"
    next(b for b in at.button if b.label == "Stop it and start").click().run()
    assert "You already have" not in texts(at), "the answered question leaves the page"
    second = run_param(at)
    assert second != first.id and first.join(10) and first.status == RunStatus.STOPPED
    assert get_manager().get(second).status.active


def test_start_alongside_keeps_both_and_lists_the_other_one() -> None:
    at = app_at("pages/train.py")
    start_button(at).click().run()
    first = run_param(at)
    start_button(at).click().run()
    next(b for b in at.button if b.label == "Start alongside").click().run()
    assert run_param(at) != first and get_manager().get(first).status.active
    assert any("Your other runs still training or waiting (1)" in e.label for e in at.expander)
    next(b for b in at.button if b.key == f"stop-other-{first}").click().run()
    assert get_manager().get(first).join(10)


# --- 9.6: a reader sees what they will train ------------------------------------------------------------------


def test_hide_controls_shows_the_settings_and_shaping_that_differ_from_the_preset() -> None:
    at = app_at(
        "pages/train.py", env="Acrobot-v1", algo="a2c", learning_rate="0.0005", living_reward="-0.5", hide_controls="1"
    )
    assert not at.exception and not at.sidebar.selectbox
    table = at.table[0].value
    rows = {row["setting"]: row["value"] for _, row in table.iterrows()}
    assert rows == {"learning_rate": "0.0005", "shaping: living_reward": "-0.5"}
    assert "Preset:" in texts(at)


# --- the GridWorld lab ---------------------------------------------------------------------------------------


def test_gridworld_refuses_a_bad_seed_and_step_reward_next_to_the_field() -> None:
    at = app_at("pages/gridworld.py")
    assert not [n.label for n in at.number_input if n.proto.has_min or n.proto.has_max]
    at.number_input(key="gw_seed").set_value(-1).run()
    assert any("seed must be between 0 and" in e for e in errors(at))
    assert at.number_input(key="gw_seed").value == -1, "the typed value stays, with its reason"
    assert at.session_state["gw_lab"].settings.seed == 0, "and the lab keeps its seed"
    at.number_input(key="gw_step_reward").set_value(5000.0).run()
    assert any("step_reward must be between -1_000 and 1_000" in e for e in errors(at))
    at.number_input(key="gw_seed").set_value(7).run()
    assert at.session_state["gw_lab"].settings.seed == 7 and not any("seed must" in e for e in errors(at))


def test_every_number_field_goes_through_the_schema_checked_widget() -> None:
    """A new ``st.number_input`` with browser bounds would bring back silently kept values: there is one door."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    direct = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("ui", "pages")
        for path in sorted((root / folder).glob("*.py"))
        if path.name != "inputs.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.number_input\(", line)  # Streamlit's, on st or a container; ours is imported bare
    ]
    assert direct == [], "use ui.inputs.number_input"
