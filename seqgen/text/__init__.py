"""Text in the style of a text: the corpus, the LSTM stack (Keras to train, NumPy to
generate and score), held-out scoring."""
