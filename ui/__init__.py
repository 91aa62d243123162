"""The Streamlit app's shared helpers (state, rendering); the pages stay thin."""
