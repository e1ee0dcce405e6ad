/**
 * SBE messages as channel records: {@link org.kekbit.sbe.SbeRecordClaim} encodes straight into a claimed record,
 * {@link org.kekbit.sbe.SbeRecordDispatcher} routes polled records to decoders by template.
 */
package org.kekbit.sbe;
