/**
 * Published API: where the format packages read and write bytes. A {@link io.tsdbcompactor.store.Directory} is a
 * block directory ({@link io.tsdbcompactor.store.FsDirectory} on disk, memory-mapped reads and atomic writes;
 * {@link io.tsdbcompactor.store.MemoryDirectory} in memory); {@link io.tsdbcompactor.store.RandomAccessInput} and
 * {@link io.tsdbcompactor.store.IndexOutput} are its files; {@link io.tsdbcompactor.store.Decoder} and
 * {@link io.tsdbcompactor.store.ByteSink} read and write the TSDB integer encodings (big-endian, and Go's varints
 * through the one codec in {@link io.tsdbcompactor.store.Varint}) with bounds checks. Damaged input is a {@link io.tsdbcompactor.store.CorruptDataException} naming the file and
 * offset, never an index exception. No dependencies beyond the JDK.
 */
package io.tsdbcompactor.store;
