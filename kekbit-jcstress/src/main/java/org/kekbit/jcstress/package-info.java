/**
 * jcstress tests of the memory-ordering protocols a channel relies on: a record is committed by a release-store of
 * its frame length after its type id and payload, and a header by a release-store of its format version after its
 * fields. Run by {@code JcstressRunTest} in CI with a short time budget.
 */
package org.kekbit.jcstress;
