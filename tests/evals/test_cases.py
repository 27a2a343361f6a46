from groundqa.evals import load_cases
from groundqa.evals.metrics import contains_gold, exact_match, token_f1


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answers": ["x"], "answerable": true}\n'
                    'not json\n'
                    '{"id": "b", "question": "Q?", "answers": "x", "answerable": true}\n'
                    '\n'
                    '{"id": "c", "question": "Q?", "answers": [], "answerable": false, "history": [["q", "a"]]}\n')
    cases, problems = load_cases(path)
    assert [c.id for c in cases] == ["a", "c"] and cases[1].history == [("q", "a")]
    assert [p.split(":")[1] for p in problems] == ["2", "3"]


def test_a_case_may_carry_a_documents_filter_and_a_bad_one_is_reported(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answers": ["x"], "answerable": true, "where": "type=pdf"}\n'
                    '{"id": "b", "question": "Q?", "answers": ["x"], "answerable": true, "where": "date>=soon"}\n'
                    '{"id": "c", "question": "Q?", "answers": ["x"], "answerable": true, "where": ["type=pdf"]}\n'
                    '{"id": "d", "question": "Q?", "answers": [], "answerable": false}\n')
    cases, problems = load_cases(path)
    assert [(c.id, c.where) for c in cases] == [("a", "type=pdf"), ("d", "")]
    assert [p.split(":")[1] for p in problems] == ["2", "3"]
    assert "field 'where'" in problems[0] and "soon" in problems[0]


def test_answer_metrics_use_squad_normalisation():
    assert exact_match("The Çırağan Palace.", ["Çırağan Palace"]) == 1.0
    assert token_f1("Presidential Aide Vladimir Medinsky", ["Vladimir Medinsky"]) == 2 * 0.5 * 1 / 1.5
    assert contains_gold("It was June 2.", ["June 2"]) == 1.0
    assert contains_gold("June 21", ["June 2"]) == 0.0
    assert token_f1("", ["x"]) == 0.0
