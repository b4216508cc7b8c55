"""The form editor of 方案管理: a scheme as editable tables (`convert`, pure and tested without
Streamlit), the fields of each method with Chinese labels and help (`fields`), and the widgets
(`editor`)."""
