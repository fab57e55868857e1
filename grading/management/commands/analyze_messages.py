"""manage.py analyze_messages --input F --output G: emotional state, severity, indicators."""

from grading.batch import analyze_record

from ._batch import BatchCommand


class Command(BatchCommand):
    help = 'Each line {"id", "message"} -> state, secondary_state, severity, risk, indicators.'

    def handler(self, options):
        return analyze_record
