"""Reward shaping written as plain Python for the exported script: the custom expression and the potentials.

The custom expression is untrusted text (it may come from a share link), so it is never pasted into code:
it is validated by :meth:`envs.reward_expr.RewardExpression.compile`, parsed again, and every node of the tree
is translated by an allow-list of its own into Python that computes the same floats as the playground's
evaluator (``**`` as ``math.pow``, comparisons as 0.0/1.0, ``clip`` as ``min(max(...))``, feature names as
``obs[i]``). Only ``ast.unparse`` of that new tree reaches the script.

Each named potential of :mod:`envs.potentials` is written out by hand below, constants included; the tests
check every one against the project's function, so a change there that is not mirrored here fails.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from envs.potentials import potentials_for
from envs.reward_expr import RewardExprError, RewardExpression
from envs.shaping_config import ShapingConfig, ShapingError


class ShapingExportError(ValueError):
    """Shaping that cannot be written as code (an invalid expression, a potential without a template)."""


_MATH_FUNCTIONS = {"abs": "fabs", "sqrt": "sqrt", "exp": "exp", "log": "log", "tanh": "tanh"}
_SCALARS = ("reward", "t", "terminated", "truncated")
_KEPT_BINARY = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_KEPT_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)

_SIGN_HELPER = '''
def sign(x: float) -> float:
    """1.0 for positive, -1.0 for negative, x itself for 0.0 (and nan)."""
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return x
'''


def expression_to_python(text: str, feature_names: Sequence[str]) -> str:
    """Source of ``custom_reward(reward, obs, action, t, terminated, truncated)`` computing ``text``.

    Raises :class:`ShapingExportError` if the expression does not pass the playground's validation.
    """
    try:
        RewardExpression.compile(text, feature_names, obs_size=len(feature_names) or None)
    except RewardExprError as error:
        raise ShapingExportError(f"reward expression: {error}") from None
    original = ast.parse(text.strip(), mode="eval").body
    translator = _Translator(feature_names)
    body = ast.fix_missing_locations(_call("float", [translator.translate(original)]))
    lines = [
        "def custom_reward(reward: float, obs, action, t: float, terminated: float, truncated: float) -> float:",
        '    """The custom reward expression; every value is a float, as in the playground."""',
    ]
    if translator.uses_obs:
        lines.append("    obs = np.asarray(obs, dtype=np.float64).ravel().tolist()")
    if translator.uses_action:
        lines.append("    action = np.asarray(action, dtype=np.float64).ravel().tolist()")
    if translator.uses_whole_action:
        lines += [
            "    if len(action) != 1:",
            '        raise ValueError(f"action has {len(action)} numbers; the expression uses it as one")',
        ]
    lines += [f"    # in the playground: {ast.unparse(original)}", f"    return {ast.unparse(body)}"]
    function = "\n".join(lines)
    return (_SIGN_HELPER.strip() + "\n\n\n" + function) if translator.uses_sign else function


class _Translator:
    """Validated playground syntax -> equivalent Python; anything unexpected is refused, not passed on."""

    def __init__(self, feature_names: Sequence[str]) -> None:
        self.features = {name: index for index, name in enumerate(feature_names)}
        self.uses_obs = self.uses_action = self.uses_whole_action = self.uses_sign = False

    def translate(self, node: ast.expr) -> ast.expr:
        match node:
            case ast.Constant(value=bool() | int() | float() as value):
                return ast.Constant(float(value))  # the playground computes with floats only
            case ast.Name(id=name):
                return self._name(name)
            case ast.Subscript():
                return self._subscript(node)
            case ast.BinOp(left=left, op=ast.Pow(), right=right):
                return _call("math.pow", [self.translate(left), self.translate(right)])
            case ast.BinOp(left=left, op=op, right=right) if isinstance(op, _KEPT_BINARY):
                return ast.BinOp(self.translate(left), type(op)(), self.translate(right))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return _call("float", [ast.UnaryOp(ast.Not(), self.translate(operand))])
            case ast.UnaryOp(op=ast.USub() | ast.UAdd() as op, operand=operand):
                return ast.UnaryOp(type(op)(), self.translate(operand))
            case ast.BoolOp(op=ast.And() | ast.Or() as op, values=values):
                return ast.BoolOp(type(op)(), [self.translate(value) for value in values])
            case ast.Compare(left=left, ops=ops, comparators=rest) if all(isinstance(o, _KEPT_COMPARE) for o in ops):
                compare = ast.Compare(self.translate(left), [type(o)() for o in ops], [self.translate(r) for r in rest])
                return _call("float", [compare])
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return ast.IfExp(self.translate(test), self.translate(body), self.translate(orelse))
            case ast.Call(func=ast.Name(id=name), args=args, keywords=[]):
                return self._function(name, [self.translate(arg) for arg in args])
        raise ShapingExportError(f"cannot translate {type(node).__name__} in a reward expression")

    def _name(self, name: str) -> ast.expr:
        if name in _SCALARS:
            return ast.Name(name, ast.Load())
        if name in self.features:
            self.uses_obs = True
            return _item("obs", self.features[name])
        if name == "action":
            self.uses_action = self.uses_whole_action = True
            return _item("action", 0)
        raise ShapingExportError(f"unknown name {name!r} in a reward expression")

    def _subscript(self, node: ast.Subscript) -> ast.expr:
        target = node.value.id if isinstance(node.value, ast.Name) else ""
        index = node.slice
        sign = 1
        if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub):
            index, sign = index.operand, -1
        if target not in ("obs", "action") or not (
            isinstance(index, ast.Constant) and type(index.value) is int  # bool is refused
        ):
            raise ShapingExportError("only obs[i] and action[i] with an integer i can be indexed")
        if target == "obs":
            self.uses_obs = True
        else:
            self.uses_action = True
        return _item(target, sign * index.value)

    def _function(self, name: str, args: list[ast.expr]) -> ast.expr:
        if name in _MATH_FUNCTIONS and len(args) == 1:
            return _call(f"math.{_MATH_FUNCTIONS[name]}", args)
        if name in ("min", "max") and len(args) >= 2:
            return _call(name, args)
        if name == "clip" and len(args) == 3:
            value, low, high = args
            return _call("min", [_call("max", [value, low]), high])
        if name == "sign" and len(args) == 1:
            self.uses_sign = True
            return _call("sign", args)
        raise ShapingExportError(f"cannot translate the call {name}() in a reward expression")


def _item(target: str, index: int) -> ast.expr:
    subscript: ast.expr = ast.Constant(abs(index))
    if index < 0:
        subscript = ast.UnaryOp(ast.USub(), subscript)
    return ast.Subscript(ast.Name(target, ast.Load()), subscript, ast.Load())


def _call(dotted: str, args: list[ast.expr]) -> ast.expr:
    func: ast.expr = ast.Name(dotted.split(".")[0], ast.Load())
    for attr in dotted.split(".")[1:]:
        func = ast.Attribute(func, attr, ast.Load())
    return ast.Call(func, args, [])


# --- the wrapper -------------------------------------------------------------------------------------------------


def shaping_code(shaping: ShapingConfig, env_id: str, feature_names: Sequence[str], learner_gamma: float) -> str:
    """Constants, functions and the ``ShapedReward`` wrapper that apply ``shaping`` as the playground does.

    ``learner_gamma`` is the model's γ: the potential's γ follows it unless the shaping sets another.
    """
    try:
        shaping.validate(env_id)  # numbers are finite floats, the potential exists (hand-built configs too)
    except ShapingError as error:
        raise ShapingExportError(str(error)) from None
    parts: list[str] = []
    order: list[str] = []
    constants: list[str] = []
    steps: list[str] = []
    reset_lines: list[str] = []
    if shaping.reward_expr:
        parts.append(expression_to_python(shaping.reward_expr, feature_names))
        order.append("custom reward")
        steps += [
            "reward = custom_reward(reward, obs, action, float(self.t), float(terminated), float(truncated))",
            'check_finite(reward, "the custom reward", self.t)',
        ]
    if shaping.living_reward:
        constants.append(f"LIVING_REWARD = {shaping.living_reward!r}  # added on every step")
        steps.append("reward = reward + LIVING_REWARD")
        order.append("living reward")
    if shaping.termination_bonus or shaping.truncation_bonus:
        constants.append(f"TERMINATION_BONUS = {shaping.termination_bonus!r}  # added when an episode terminates")
        constants.append(f"TRUNCATION_BONUS = {shaping.truncation_bonus!r}  # added when the time limit cuts it off")
        steps += [
            "if terminated:",
            "    reward = reward + TERMINATION_BONUS",
            "elif truncated:",
            "    reward = reward + TRUNCATION_BONUS",
        ]
        order.append("terminal bonus")
    if shaping.potential:
        parts.append(potential_code(env_id, shaping.potential))
        constants.append(_potential_gamma_line(shaping, learner_gamma))
        constants.append(f"POTENTIAL_SCALE = {shaping.potential_scale!r}")
        reset_lines.append("self.phi = potential(obs)")
        order.append("potential-based term")
        steps += [
            "# Potential-based shaping F = scale * (gamma * phi(s') - phi(s)); phi = 0 at a terminal state.",
            "phi_next = 0.0 if terminated else potential(obs)",
            "reward = reward + POTENTIAL_SCALE * (POTENTIAL_GAMMA * phi_next - self.phi)",
            "self.phi = phi_next",
        ]
    if shaping.reward_scale != 1 or shaping.reward_clip:
        constants.append(f"REWARD_SCALE = {shaping.reward_scale!r}")
        steps.append("reward = reward * REWARD_SCALE")
        order.append("scale and clip" if shaping.reward_clip else "scale")
        if shaping.reward_clip:
            constants.append(f"REWARD_CLIP = {shaping.reward_clip!r}  # the learner sees rewards in [-clip, clip]")
            steps.append("reward = min(max(reward, -REWARD_CLIP), REWARD_CLIP)")

    wrapper = f'''
class ShapedReward(gym.Wrapper):
    """The playground's reward shaping, in its order: {", ".join(order)}.

    info["true_return"] keeps the env's own return, so Monitor can report it next to the shaped one.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.t = 0
        self.true_return = 0.0
{_block(["self.phi = 0.0"] if shaping.potential else [])}
    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.t = 0
        self.true_return = 0.0
{_block(reset_lines)}        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.t += 1
        reward = float(reward)
        check_finite(reward, "the environment's reward", self.t)
        self.true_return += reward
        info = {{**info, "true_return": self.true_return}}
{_block(steps)}        check_finite(reward, "the shaped reward", self.t)
        return obs, reward, terminated, truncated, info
'''
    check = '''
FLOAT32_MAX = 3.4028234663852886e38  # SB3 stores rewards as float32: a larger float64 becomes inf there


def check_finite(value: float, what: str, t: int) -> None:
    """A NaN or infinite reward (in the float32 the learner stores) would silently poison training: stop instead."""
    if not -FLOAT32_MAX <= value <= FLOAT32_MAX:
        raise ValueError(f"{what} is {value} at step {t} of an episode, not a number float32 holds")
'''
    constants.insert(0, "# --- reward shaping, as configured in the playground ---")
    return "\n\n\n".join(part.strip("\n") for part in ["\n".join(constants), *parts, check, wrapper])


def _potential_gamma_line(shaping: ShapingConfig, learner_gamma: float) -> str:
    gamma = float(learner_gamma) if shaping.potential_gamma is None else shaping.potential_gamma
    if gamma == learner_gamma:
        return f"POTENTIAL_GAMMA = {gamma!r}  # the model's gamma: the shaping keeps the optimal policy only if equal"
    return f"POTENTIAL_GAMMA = {gamma!r}  # set apart from the model's gamma ({float(learner_gamma)!r}) by hand"


def _block(lines: list[str]) -> str:
    """Lines of a method body (8 spaces in), each ending with a newline."""
    return "".join(f"        {line}\n" for line in lines)


# --- named potentials -------------------------------------------------------------------------------------------


def _mountain_car_height(goal_position: float) -> str:
    return f'''
# sin(3x) is the track's height profile; the flag is at x = {goal_position!r}
GOAL_HEIGHT = math.sin(3.0 * {goal_position!r})


def potential(obs) -> float:
    """How high the car is on the track: -1 in the valley, 0 at the flag."""
    return (math.sin(3.0 * float(obs[0])) - GOAL_HEIGHT) / (GOAL_HEIGHT + 1.0)
'''


def _mountain_car_energy(goal_position: float) -> str:
    return f'''
GRAVITY = 0.0025  # the hill's pull: velocity += ... - GRAVITY * cos(3 * position) each step


def mechanical_energy(position: float, velocity: float) -> float:
    return 0.5 * velocity * velocity + GRAVITY / 3.0 * math.sin(3.0 * position)


ENERGY_AT_GOAL = mechanical_energy({goal_position!r}, 0.0)
ENERGY_AT_BOTTOM = -GRAVITY / 3.0


def potential(obs) -> float:
    """Mechanical energy: -1 at rest in the valley, 0 at rest at the flag; rewards building momentum."""
    energy = mechanical_energy(float(obs[0]), float(obs[1]))
    return (energy - ENERGY_AT_GOAL) / (ENERGY_AT_GOAL - ENERGY_AT_BOTTOM)
'''


_CARTPOLE_UPRIGHT = '''
THETA_LIMIT = 12 * 2 * math.pi / 360  # the pole falls (episode ends) beyond 12 degrees


def potential(obs) -> float:
    """How upright the pole is: 1 when vertical, 0 at the 12 degree failure limit."""
    return max(0.0, 1.0 - abs(float(obs[2])) / THETA_LIMIT)
'''

_CARTPOLE_CENTRED = '''
X_LIMIT = 2.4  # the episode ends when the cart leaves [-2.4, 2.4]


def potential(obs) -> float:
    """How close the cart is to the middle: 1 at the centre, 0 at the edge of the track."""
    return max(0.0, 1.0 - abs(float(obs[0])) / X_LIMIT)
'''

_LUNAR_PAD_DISTANCE = '''
def potential(obs) -> float:
    """Minus the distance to the landing pad, which sits at (0, 0) in the observation."""
    return -math.hypot(float(obs[0]), float(obs[1]))
'''

_ACROBOT_TIP_HEIGHT = '''
def potential(obs) -> float:
    """How high the arm's tip is: -1 hanging straight down, 0 at the line that ends the episode."""
    cos1, sin1, cos2, sin2 = (float(value) for value in obs[:4])
    height = -cos1 - (cos1 * cos2 - sin1 * sin2)
    return (height - 1.0) / 3.0
'''

POTENTIAL_CODE: dict[tuple[str, str], str] = {
    ("MountainCar-v0", "height"): _mountain_car_height(0.5),
    ("MountainCar-v0", "energy"): _mountain_car_energy(0.5),
    ("MountainCarContinuous-v0", "height"): _mountain_car_height(0.45),
    ("MountainCarContinuous-v0", "energy"): _mountain_car_energy(0.45),
    ("CartPole-v1", "upright"): _CARTPOLE_UPRIGHT,
    ("CartPole-v1", "centred"): _CARTPOLE_CENTRED,
    ("LunarLander-v3", "pad_distance"): _LUNAR_PAD_DISTANCE,
    ("Acrobot-v1", "tip_height"): _ACROBOT_TIP_HEIGHT,
}
"""Python source of ``potential(obs)`` (and its constants) for each named potential of :mod:`envs.potentials`."""


def potential_code(env_id: str, name: str) -> str:
    """Source defining ``potential(obs) -> float`` for the named potential of ``env_id``."""
    if name not in potentials_for(env_id) or (env_id, name) not in POTENTIAL_CODE:
        raise ShapingExportError(f"the potential {name!r} of {env_id} cannot be exported as code")
    return POTENTIAL_CODE[(env_id, name)].strip("\n")
