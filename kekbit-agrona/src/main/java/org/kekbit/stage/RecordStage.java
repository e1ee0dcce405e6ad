package org.kekbit.stage;

import org.agrona.MutableDirectBuffer;

/**
 * One step of building a record in place, as the original kekbit's handler chain: each stage owns a fixed number
 * of bytes at the front of every record a {@link StagedWriter} writes, in the order the stages were given, and
 * fills them once the payload is in place. Stages are called on the writer's thread and must not allocate.
 */
public interface RecordStage
{
    /**
     * Bytes this stage writes in front of the payload of every record.
     *
     * @return the length, fixed for the life of the stage.
     */
    int length();

    /**
     * Fill this stage's bytes of a claimed record.
     *
     * @param buffer        holding the claimed record: from a {@link StagedWriter}, a buffer over the whole channel
     *                      file whose {@link org.agrona.DirectBuffer#byteBuffer()} is a direct view of the file, for
     *                      JDK APIs that want one; touch only this record's bytes.
     * @param offset        of this stage's bytes in the buffer.
     * @param payloadOffset of the payload in the buffer, already copied in.
     * @param payloadLength of the payload.
     */
    void apply(MutableDirectBuffer buffer, int offset, int payloadOffset, int payloadLength);
}
