"""Sources as they come: podcast feeds (RSS, Atom), HTML in their text, transcripts they carry."""
