"""Lists of names (dinosaurs, or any names): reading them, the character model,
training and sampling."""
