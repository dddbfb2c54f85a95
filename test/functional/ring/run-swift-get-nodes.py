#!/usr/bin/python3
# Runs Swift's own /usr/bin/swift-get-nodes once per argument list in one interpreter (one
# start-up instead of many): stdin is a JSON list of argv lists, stdout a JSON list of outputs.
import contextlib
import io
import json
import runpy
import sys


def main():
    outputs = []
    for argv in json.load(sys.stdin):
        sys.argv = ['swift-get-nodes'] + argv
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                runpy.run_path('/usr/bin/swift-get-nodes', run_name='__main__')
            except SystemExit:
                pass
        outputs.append(buf.getvalue())
    json.dump(outputs, sys.stdout)


if __name__ == '__main__':
    main()
