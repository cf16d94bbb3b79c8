"""Final answers the shared data has few of, written out: numbers in every notation, math expressions (LaTeX and
plain), Python/JSON literals, short strings and yes/no; each with the equivalent ways to write it, and look-alike
pairs that are different answers (case, punctuation, repeated characters, sign, one digit, 0.5 vs 5, a string vs
a list, a different unit, letter, expression).

Math equivalences are the ones math-verify itself decides (tests/unit/test_answers_metamorphic.py checks every
pair and every look-alike against `math_verify.verify`), so the expectation does not rest on this file's say-so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answer_formats import Answer, answer


@dataclass(frozen=True)
class LookAlike:
    """Two different final answers that look alike; `why` names the difference (used in test ids)."""

    why: str
    a: Answer
    b: Answer


def num(*forms: str, value: float, label: str = "") -> Answer:
    return answer("number", *forms, value=value, label=label or forms[0])


NUMBERS = (
    num("1000", "1,000", "1 000", "1e3", "10^3", "1.0 \\times 10^{3}", "1000.0", value=1000),
    num("0.75", "3/4", "\\frac{3}{4}", "\\dfrac{3}{4}", "75%", ".75", value=0.75),
    num("-3", "\u22123", "-3.0", value=-3),
    num("2.5", "5/2", "\\frac{5}{2}", "2.50", value=2.5),
    num("1234567", "1,234,567", "1 234 567", value=1234567),
    num("3e8", "3 \\times 10^8", "300,000,000", "3.0E+08", "3\\cdot 10^{8}", value=3e8),
    num("0.000125", "1.25e-4", "1.25 \\times 10^{-4}", value=0.000125),
    num("12 cm", "12cm", "12 \\text{ cm}", "12\\,\\mathrm{cm}", value=12, label="12cm"),
    num("45°", "45^\\circ", "45 degrees", value=45, label="45deg"),
    num("$1,200", "$1200", "1200 dollars", value=1200, label="usd1200"),
    num("-\\frac{3}{4}", "-3/4", "-0.75", "\\frac{-3}{4}", value=-0.75, label="-3/4"),
    num("42", "42.0", "+42", value=42),
)


def mth(*forms: str, label: str) -> Answer:
    return answer("math", *forms, label=label)


MATH = (
    mth("\\frac{\\sqrt{3}}{2}", "\\sqrt{3}/2", "\\dfrac{\\sqrt3}{2}", "\\frac{1}{2}\\sqrt{3}", label="sqrt3/2"),
    mth("x^2+2x+1", "(x+1)^2", "x^{2} + 2x + 1", "(1+x)^{2}", label="(x+1)^2"),
    mth("\\frac{\\pi}{4}", "\\pi/4", "\\frac{1}{4}\\pi", label="pi/4"),
    mth("2\\sqrt{2}", "\\sqrt{8}", "2\\sqrt2", label="2sqrt2"),
    mth("[0, 1)", "[0,1)", label="[0,1)"),
    mth("3x + 2", "2 + 3x", "3 x+2", label="3x+2"),
    mth("\\frac{a+b}{2}", "(a+b)/2", "\\frac{b+a}{2}", label="(a+b)/2"),
    mth("1+\\sqrt{2}", "\\sqrt{2}+1", "\\sqrt{2} + 1", label="1+sqrt2"),
    mth("\\frac{1}{23}", "1/23", label="1/23"),
    mth("\\{1, 2, 3\\}", "\\{3, 2, 1\\}", label="{1,2,3}"),
)


def lit(*forms: str, json_value: object, label: str) -> Answer:
    return answer("literal", *forms, json_value=json_value, label=label)


LITERALS = (
    lit("'O'", '"O"', json_value="O", label="'O'"),
    lit("'moo#'", '"moo#"', json_value="moo#", label="'moo#'"),
    lit("[1, 2]", "[1,2]", "[ 1, 2 ]", json_value=[1, 2], label="[1,2]"),
    lit("{'a': 1}", '{"a": 1}', '{"a":1}', json_value={"a": 1}, label="{a:1}"),
    lit("True", json_value=True, label="True"),
    lit("'Hello, World!'", '"Hello, World!"', json_value="Hello, World!", label="'Hello, World!'"),
    lit("(1, 2)", "(1,2)", json_value=..., label="(1,2)"),
    lit("['x', 'y']", '["x", "y"]', "['x','y']", json_value=["x", "y"], label="[x,y]"),
    lit("'x y'", '"x y"', json_value="x y", label="'x y'"),
)


def txt(*forms: str, label: str = "") -> Answer:
    return answer("text", *forms, label=label or forms[0])


TEXTS = (
    txt("Hello, World!", '"Hello, World!"'),
    txt("moo#", "'moo#'"),
    txt("Mississippi", '"Mississippi"'),
    txt("foo_bar", "'foo_bar'"),
    txt("q.e.d.", '"q.e.d."'),
    txt("aBc", "'aBc'"),
    txt("x-y-z", '"x-y-z"'),
    txt("St. Petersburg", '"St. Petersburg"'),
)

YESNO = (
    answer("yesno", "Yes", "yes", "YES", label="yes"),
    answer("yesno", "No", "no", "NO", label="no"),
)


def _la(why: str, a: Answer, b: Answer) -> LookAlike:
    return LookAlike(why, a, b)


LOOKALIKES = (
    _la("case", lit("'O'", json_value="O", label="'O'"), lit("'o'", json_value="o", label="'o'")),
    _la("case", txt("Hello, World!"), txt("hello, world!")),
    _la("case", txt("aBc"), txt("abc")),
    _la("punctuation", txt("Hello, World!"), txt("Hello World!")),
    _la("punctuation", lit("'moo#'", json_value="moo#", label="'moo#'"), lit("'moo'", json_value="moo", label="'moo'")),
    _la("punctuation", txt("q.e.d."), txt("qed")),
    _la("repeats", LITERALS[1], lit("'moo######'", json_value="moo######", label="'moo######'")),
    _la("repeats", txt("Mississippi"), txt("Misisippi")),
    _la("repeats", lit("'x y'", json_value="x y", label="'x y'"), lit("'x  y'", json_value="x  y", label="'x  y'")),
    _la("sign", num("3", value=3), num("-3", value=-3)),
    _la("sign", NUMBERS[10], num("\\frac{3}{4}", "3/4", value=0.75, label="3/4")),
    _la("one_digit", num("1234567", "1,234,567", value=1234567), num("1234568", "1,234,568", value=1234568)),
    _la("one_digit", num("1,000", value=1000), num("1,001", value=1001)),
    _la("decimal_point", num("0.5", value=0.5), num("5", value=5)),
    _la("decimal_point", num("0.75", value=0.75), num("7.5", value=7.5)),
    _la("exponent", num("3 \\times 10^8", value=3e8), num("3 \\times 10^5", value=3e5)),
    _la("inverted", num("3/4", value=0.75), num("4/3", value=4 / 3)),
    _la("unit", num("12 cm", value=12), num("12 m", value=12)),
    _la("unit", num("5 hours", value=5), num("5 minutes", value=5)),
    _la("string_vs_list", lit("'x'", json_value="x", label="'x'"), lit("['x']", json_value=["x"], label="['x']")),
    _la(
        "string_vs_list",
        lit("'ab'", json_value="ab", label="'ab'"),
        lit("['a', 'b']", json_value=["a", "b"], label="[a,b]"),
    ),
    _la("order", LITERALS[2], lit("[2, 1]", json_value=[2, 1], label="[2,1]")),
    _la("container", LITERALS[2], LITERALS[6]),
    _la("sign", LITERALS[2], lit("[1, -2]", json_value=[1, -2], label="[1,-2]")),
    _la("value", LITERALS[3], lit("{'a': 2}", json_value={"a": 2}, label="{a:2}")),
    _la("case", LITERALS[3], lit("{'A': 1}", json_value={"A": 1}, label="{A:1}")),
    _la("bool", LITERALS[4], lit("False", json_value=False, label="False")),
    _la("yes_no", YESNO[0], YESNO[1]),
    _la("expression", MATH[0], mth("\\frac{\\sqrt{2}}{2}", "\\sqrt{2}/2", label="sqrt2/2")),
    _la("expression", MATH[1], mth("(x-1)^2", "x^2-2x+1", label="(x-1)^2")),
    _la("expression", MATH[8], mth("\\frac{12}{3}", "12/3", label="12/3")),
    _la("expression", MATH[3], mth("2\\sqrt{3}", "\\sqrt{12}", label="2sqrt3")),
    _la("expression", MATH[2], mth("\\frac{\\pi}{3}", "\\pi/3", label="pi/3")),
    _la("expression", MATH[4], mth("[0, 1]", label="[0,1]")),
    _la("sign", MATH[5], mth("3x - 2", label="3x-2")),
    _la("sign", MATH[7], mth("\\sqrt{2}-1", label="sqrt2-1")),
)

GENERATED = {
    "gen/number": NUMBERS,
    "gen/math": MATH,
    "gen/literal": LITERALS,
    "gen/text": TEXTS,
    "gen/yesno": YESNO,
}
