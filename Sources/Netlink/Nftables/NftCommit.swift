internal import CNetlink
internal import Glibc

/// Committing a batch: one nfnetlink transaction, every message acknowledged.
extension NftSocket {
    /// Applies every operation of `batch` in one kernel transaction, or none of them.
    ///
    /// Each message asks for an ack; the kernel runs the whole batch, answers every message, and commits
    /// only when all succeeded. The error names the first operation the kernel refused, with its errno
    /// ("add chain cni-spoof-abc in table bridge swiftcni: No such file or directory"). A value the kernel
    /// could never accept (a 20-byte interface name) fails with EINVAL before anything is sent.
    ///
    /// Deletes with `ifExists` use NFT_MSG_DESTROY* (Linux 6.3+). On older kernels they become plain deletes,
    /// and the batch is sent again without those that met a missing object.
    public func commit(_ batch: NftBatch) throws(NetlinkError) {
        var operations = batch.operations
        if state.pointee.destroySupported == false { operations = NftSocket.withoutDestroy(operations) }
        while !operations.isEmpty {
            let destroy = state.pointee.destroySupported != false
            let failures = try transact(operations, destroy: destroy)
            guard let first = failures.first else {
                if destroy, operations.contains(where: \.ignoresMissing) { state.pointee.destroySupported = true }
                return
            }
            let operation = operations[first.index]
            if destroy, operation.ignoresMissing, first.errno == EINVAL || first.errno == EOPNOTSUPP,
               state.pointee.destroySupported == nil {
                // A kernel before 6.3 does not know NFT_MSG_DESTROY*: fall back to deletes.
                state.pointee.destroySupported = false
                operations = NftSocket.withoutDestroy(operations)
                continue
            }
            let missing = failures.filter { operations[$0.index].ignoresMissing && $0.errno == ENOENT }
            if !destroy, missing.first?.index == first.index {
                let drop = Set(missing.map(\.index))
                operations = operations.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
                continue
            }
            throw NetlinkError(operation: operation.operation, object: operation.object, errno: first.errno,
                               reason: NftSocket.reason(first.errno, operation))
        }
    }

    /// Sends one transaction and returns the operations the kernel refused (index, errno), in batch order.
    private func transact(_ operations: [NftBatch.Operation], destroy: Bool) throws(NetlinkError) -> [(index: Int, errno: Int32)] {
        let count = UInt32(operations.count)
        let begin = takeSequenceNumbers(count + 2)
        var builder = NftMessageBuilder()
        builder.begin(seq: begin)
        for (index, operation) in operations.enumerated() {
            do {
                try builder.append(operation, seq: begin &+ 1 &+ UInt32(index), destroy: destroy)
            } catch {
                throw NetlinkError(operation: operation.operation, object: operation.object, errno: EINVAL, reason: error.reason)
            }
        }
        builder.end(seq: begin &+ count &+ 1)
        reserveBuffers(messages: operations.count, bytes: builder.length)
        try builder.withIOVecs { (iov, iovCount) throws(NetlinkError) in
            try send(iov, count: iovCount, what: "nftables batch")
        }

        // The kernel has processed the batch by the time sendmsg returns: the answers are queued.
        // A transaction-wide failure (ENOMEM, a commit-time error) answers the BEGIN message instead.
        var replies = NftReplies()
        let sequences = (0..<count).map { begin &+ 1 &+ $0 }
        while sequences.contains(where: { replies.acks[$0] == nil }) {
            let more = try receive(into: &replies, dontWait: replies.acks[begin] != nil, what: "nftables batch")
            if !more { break }
        }
        var failures: [(index: Int, errno: Int32)] = []
        for (index, sequence) in sequences.enumerated() {
            if let code = replies.acks[sequence], code != 0 { failures.append((index, code)) }
        }
        if failures.isEmpty, let code = replies.acks[begin], code != 0 {
            throw NetlinkError(operation: "commit nftables batch", object: "of \(count) operations in \(netnsPath)",
                               errno: code, reason: String(cString: strerror(code)))
        }
        if failures.isEmpty, let missing = sequences.firstIndex(where: { replies.acks[$0] == nil }) {
            throw NetlinkError(operation: operations[missing].operation, object: operations[missing].object, errno: EPROTO,
                               reason: "the kernel did not acknowledge the operation")
        }
        return failures
    }

    /// The batch for kernels without NFT_MSG_DESTROY*: deleting elements that may be missing one by one,
    /// so a missing element does not take the others with it.
    static func withoutDestroy(_ operations: [NftBatch.Operation]) -> [NftBatch.Operation] {
        operations.flatMap { operation -> [NftBatch.Operation] in
            guard case .deleteElements(let keys, let set, let table, true) = operation, keys.count > 1 else { return [operation] }
            return keys.map { .deleteElements([$0], set: set, table, ifExists: true) }
        }
    }

    /// strerror, with what the errno usually means for nf_tables.
    static func reason(_ code: Int32, _ operation: NftBatch.Operation) -> String {
        let text = String(cString: strerror(code))
        switch (code, operation) {
        case (ENOENT, .addRule), (ENOENT, .addElements):
            return text + " (a table, chain or set it names does not exist)"
        case (EBUSY, .deleteChain), (EBUSY, .deleteSet), (EBUSY, .deleteTable):
            return text + " (still in use: a rule or map element refers to it)"
        default:
            return text
        }
    }
}
