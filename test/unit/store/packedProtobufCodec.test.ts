import * as assert from 'node:assert/strict';
import { ProtobufCodec } from 'vectra';
import type { IndexData } from 'vectra';
import { PackedProtobufCodec } from '../../../src/core/store/packedProtobufCodec';
import { randomVector, seededRandom } from './helpers';

describe('PackedProtobufCodec', () => {
  const packed = new PackedProtobufCodec();
  const vectra = new ProtobufCodec();
  const random = seededRandom(3);

  const sample = (): IndexData => ({
    version: 1,
    metadata_config: { indexed: ['path'] },
    items: [
      { id: 'chunk-1', metadata: { path: 'src/é.ts', size: 12.5, big: 2 ** 40, negative: -3, ok: true }, vector: Array.from(randomVector(16, random)), norm: 1 },
      { id: '\u0000file:src/a.ts', metadata: { path: 'src/a.ts' }, vector: [], norm: 0 },
      { id: 'chunk-2', metadata: {}, vector: Array.from(randomVector(16, random)), norm: 0.75, metadataFile: 'extra.json' },
    ],
  });

  /** Vectors compared as float32, which both codecs store. */
  const normalise = (data: IndexData) => ({
    ...data,
    items: data.items.map((item) => ({ ...item, vector: Array.from(Float32Array.from(item.vector)) })),
  });

  it('writes what vectra\'s ProtobufCodec reads', () => {
    const data = sample();
    assert.deepEqual(normalise(vectra.deserializeIndex(packed.serializeIndex(data))), normalise(data));
  });

  it('reads what vectra\'s ProtobufCodec writes, vectors as Float32Array', () => {
    const data = sample();
    const decoded = packed.deserializeIndex(vectra.serializeIndex(data));
    assert.ok(decoded.items[0].vector instanceof Float32Array);
    assert.deepEqual(normalise(decoded), normalise(data));
  });

  it('round-trips Float32Array vectors byte for byte', () => {
    const vector = randomVector(768, random);
    const data: IndexData = { version: 3, metadata_config: {}, items: [{ id: 'v', metadata: {}, vector: vector as unknown as number[], norm: 1 }] };
    const decoded = packed.deserializeIndex(packed.serializeIndex(data));
    assert.deepEqual(decoded.items[0].vector, vector);
    assert.equal(decoded.version, 3);
  });

  it('throws on truncated, zero-filled or foreign bytes instead of misreading them', () => {
    const bytes = packed.serializeIndex(sample());
    assert.throws(() => packed.deserializeIndex(bytes.subarray(0, bytes.length - 3)), /corrupt index data/);
    assert.throws(() => packed.deserializeIndex(Buffer.alloc(64)), /corrupt index data/);
    assert.throws(() => packed.deserializeIndex(Buffer.from('{"version":1,"items":[]}')), /corrupt index data/);
  });
});
