#!/usr/bin/python3
# Answers ring lookups with Swift 2.30's own Ring class (Debian python3-swift), for the
# interop tests. Reads one JSON request on stdin, writes one JSON answer on stdout:
#   {"ring": path, "prefix": str, "suffix": str,
#    "paths": [[account, container?, object?], ...], "handoffs": N,
#    "all_handoff_parts": [part, ...], "resave": path?}
# The hash path secrets are set on swift.common.utils directly, so /etc/swift is not read.
import itertools
import json
import sys

import swift.common.utils as utils
from swift.common.ring import Ring, RingData


def node_ids(nodes, key):
    return [[n['id'], n[key]] for n in nodes]


def main():
    req = json.load(sys.stdin)
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
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
