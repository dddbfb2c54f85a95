#!/usr/bin/python3
# Answers ring lookups with Swift 2.30's own code (Debian python3-swift), for the interop
# tests. All jobs run in one interpreter, since importing swift dominates the cost.
# stdin: a JSON list of jobs, run in order; stdout: a JSON list of answers.
#   {"builder": [args...]}: swift-ring-builder <args>; answers its exit status
#   {"ring": path, "prefix": str, "suffix": str, "paths": [[a, c?, o?], ...], "handoffs": N,
#    "all_handoff_parts": [part, ...], "sample_path": [...]?, "resave": path?}: lookups
# The hash path secrets are set on swift.common.utils directly, so /etc/swift is not read.
import contextlib
import io
import itertools
import json
import sys

import swift.common.utils as utils
from swift.cli import ringbuilder
from swift.common.ring import Ring, RingData


def node_ids(nodes, key):
    return [[n['id'], n[key]] for n in nodes]


def run_builder(args):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            status = ringbuilder.main(['swift-ring-builder'] + args)
        except SystemExit as e:
            status = e.code
    return {'status': status or 0}


def lookups(req):
    utils.HASH_PATH_PREFIX = req['prefix'].encode('utf8')
    utils.HASH_PATH_SUFFIX = req['suffix'].encode('utf8')
    ring = Ring(req['ring'])
    out = {'part_power': ring.part_power, 'replica_count': ring.replica_count,
           'partition_count': ring.partition_count, 'devs': ring.devs,
           'paths': [], 'all_handoffs': []}
    n = req.get('handoffs', 0)
    for path in req.get('paths', []):
        part, nodes = ring.get_nodes(*path)
        more = list(itertools.islice(ring.get_more_nodes(part), n))
        out['paths'].append({'partition': part, 'nodes': node_ids(nodes, 'index'),
                             'handoffs': node_ids(more, 'handoff_index')})
    for part in req.get('all_handoff_parts', []):
        out['all_handoffs'].append(node_ids(ring.get_more_nodes(part), 'handoff_index'))
    if req.get('sample_path'):
        part, nodes = ring.get_nodes(*req['sample_path'])
        out['sample'] = {'partition': part, 'nodes': nodes,
                         'handoffs': list(itertools.islice(ring.get_more_nodes(part), 3))}
    if req.get('resave'):
        RingData.load(req['ring']).save(req['resave'])
    return out


def main():
    answers = []
    for job in json.load(sys.stdin):
        answers.append(run_builder(job['builder']) if 'builder' in job else lookups(job))
    json.dump(answers, sys.stdout)


if __name__ == '__main__':
    main()
