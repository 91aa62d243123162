"""The floor of a first render: a Streamlit page with one title and one line, served the same way as the app.
benchmarks.browser opens it beside the app's pages, so each figure can be read against what Streamlit itself
takes on this machine at that moment."""

import streamlit as st

st.title("Floor")
st.write("A page with nothing to compute.")
