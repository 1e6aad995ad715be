"""Jazz solos: the note grammar, the token LSTM, training and improvisation."""
