from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from groundqa.index import ChunkingSettings, chunk_document, sentence_spans
from groundqa.sources import BUNDLED_CORPUS, Document, load


def test_sentences_respect_abbreviations_and_initials():
    text = "Mr. J. Smith met Dr. Jones at 5 p.m. on June 2. They talked! Did it work? Yes."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Mr. J. Smith met Dr. Jones at 5 p.m. on June 2.", "They talked!", "Did it work?", "Yes."]


def test_bundled_chunks_point_into_their_source():
    document = load(BUNDLED_CORPUS / "istanbul-talks-2025-06.txt", BUNDLED_CORPUS)
    chunks = chunk_document(document, ChunkingSettings(max_words=60, overlap_sentences=1))
    assert len(chunks) > 3
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        assert chunk.sentences[0][0] == chunk.start and chunk.sentences[-1][1] == chunk.end
        assert len(chunk.text.split()) <= 60 or len(chunk.sentences) == 1
    for before, after in pairwise(chunks):
        assert after.sentences[0] == before.sentences[-1]  # one sentence of overlap
    covered = {span for chunk in chunks for span in chunk.sentences}
    assert covered == set(sentence_spans(document.text))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\nXY1,\u00e9"), max_size=300))
def test_every_chunk_round_trips_for_any_text(text):
    document = Document(source="x.txt", title="x", text=text)
    for chunk in chunk_document(document, ChunkingSettings(max_words=10)):
        assert text[chunk.start:chunk.end] == chunk.text
        for start, end in chunk.sentences:
            assert text[start:end].strip() == text[start:end] != ""
