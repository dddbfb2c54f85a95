# Merges N object rows (obj-0000000 ...) into a container of the peer-swift cluster, on every
# replica's SQLite database, through Swift's own ContainerBroker. For bench/lib/listing-fill.ts.
# usage: /usr/bin/python3 bench/swift-fill-listing.py <peer root> <account> <container> <rows>
import os
import sys

import swift.common.utils as utils


def settings(root):
    out = {}
    with open(os.path.join(root, 'settings.env')) as f:
        for line in f:
            if '=' in line and not line.startswith('#'):
                k, v = line.strip().split('=', 1)
                out[k] = v
    return out


def main():
    root, account, container, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = settings(root)
    # The peer's hash secrets (its swift.conf is not /etc/swift/swift.conf).
    utils.HASH_PATH_PREFIX = s['HASH_PREFIX'].encode()
    utils.HASH_PATH_SUFFIX = s['HASH_SUFFIX'].encode()
    from swift.common.ring import Ring
    from swift.common.utils import Timestamp, hash_path, storage_directory
    from swift.container.backend import ContainerBroker, DATADIR

    ring = Ring(os.path.join(root, 'etc'), ring_name='container')
    part, nodes = ring.get_nodes(account, container)
    hsh = hash_path(account, container)
    for node in nodes:
        n = node['device'][len('sdb'):]
        devices = os.path.join(root, 'srv', n, 'node')
        db_path = os.path.join(devices, node['device'], storage_directory(DATADIR, part, hsh), hsh + '.db')
        broker = ContainerBroker(db_path, account=account, container=container)
        if not os.path.exists(db_path):
            raise SystemExit('%s missing (create the container through the API first)' % db_path)
        batch = 10000
        for start in range(0, rows, batch):
            items = [{'name': 'obj-%07d' % i, 'created_at': Timestamp(1700000000 + i / 1000.0).internal,
                      'size': 0, 'content_type': 'application/octet-stream',
                      'etag': 'd41d8cd98f00b204e9800998ecf8427e', 'deleted': 0, 'storage_policy_index': 0}
                     for i in range(start, min(rows, start + batch))]
            broker.merge_items(items)
        print(db_path)


if __name__ == '__main__':
    main()
