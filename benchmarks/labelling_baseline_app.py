"""The floor under the feedback lab's click-to-next-pair time: a bare Streamlit fragment whose button changes a line.

``benchmarks/bench_labelling.py`` times a click here in the same sitting as the lab, so the lab's figure can be read
against what any Streamlit click costs on the machine at that moment.
"""

import streamlit as st

st.session_state.setdefault("clicks", 0)


def _next() -> None:
    st.session_state.clicks += 1


@st.fragment
def _pair() -> None:
    st.button("Next", on_click=_next, key=f"next-{st.session_state.clicks}")
    st.markdown(f"pair-{st.session_state.clicks}")


_pair()
