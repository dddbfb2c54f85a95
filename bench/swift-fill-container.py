# Fills a Swift container database with N object rows through Swift's own ContainerBroker
# (merge_items in batches), for bench/container-listing.ts. Usage:
#   /usr/bin/python3 bench/swift-fill-container.py <devices> <device> <part> <account> <container> <rows>
import os
import sys

from swift.common.utils import Timestamp, hash_path, storage_directory
from swift.container.backend import ContainerBroker, DATADIR


def main():
    devices, device, part, account, container, rows = sys.argv[1:7]
    rows = int(rows)
    hsh = hash_path(account, container)
    db_path = os.path.join(devices, device, storage_directory(DATADIR, part, hsh), hsh + '.db')
    broker = ContainerBroker(db_path, account=account, container=container)
    broker.initialize(Timestamp(1700000000).internal, 0)
    batch = 10000
    for start in range(0, rows, batch):
        items = [{'name': 'obj-%07d' % i, 'created_at': Timestamp(1700000000 + i / 1000.0).internal,
                  'size': i % 4096, 'content_type': 'application/octet-stream',
                  'etag': 'd41d8cd98f00b204e9800998ecf8427e', 'deleted': 0, 'storage_policy_index': 0}
                 for i in range(start, min(rows, start + batch))]
        broker.merge_items(items)
    print(db_path)


if __name__ == '__main__':
    main()
