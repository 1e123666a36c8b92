"""The LLM-judge grader: rubric templates, prompt building, injection defence, verdict parsing and
the concurrent Converse client. Kept import-light: boto3 loads only with ``client``/``grader``."""
