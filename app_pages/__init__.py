"""The app's pages (Streamlit UI only): Draw and My drawings, with what they share in common.py."""
