// Vectra's ProtobufCodec goes through protobufjs object conversion: every float becomes a JS
// number in an array, and a shard of ~800 items x 768 dims takes ~100 ms each way, which alone
// would put a 100k-chunk cold load near 12 s. This codec reads and writes the same wire format
// (vectra's lib/codecs/schemas/index.proto: files stay readable by vectra's own codec) but copies
// packed vectors as bytes, straight into and out of Float32Arrays. It also tells where each vector
// lies in the bytes it writes or scans, so that the store can keep vectors quantized in memory and
// read the full-precision ones back from the file (vectorMatrix.ts).
import { endianness } from 'node:os';
import { ProtobufCodec } from 'vectra';
import type { IndexData, IndexItem, MetadataTypes } from 'vectra';

// Field numbers and wire types from index.proto.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;
const tag = (field: number, wireType: number) => (field << 3) | wireType;

const DATA_VERSION = tag(1, VARINT);
const DATA_METADATA_CONFIG = tag(2, LENGTH_DELIMITED);
const DATA_ITEM = tag(3, LENGTH_DELIMITED);
const CONFIG_INDEXED = tag(1, LENGTH_DELIMITED);
const ITEM_ID = tag(1, LENGTH_DELIMITED);
const ITEM_METADATA_ENTRY = tag(2, LENGTH_DELIMITED);
const ITEM_VECTOR_PACKED = tag(3, LENGTH_DELIMITED);
const ITEM_VECTOR_SINGLE = tag(3, FIXED32);
const ITEM_NORM = tag(4, FIXED64);
const ITEM_METADATA_FILE = tag(5, LENGTH_DELIMITED);
const ENTRY_KEY = tag(1, LENGTH_DELIMITED);
const ENTRY_VALUE = tag(2, LENGTH_DELIMITED);
const VALUE_STRING = tag(1, LENGTH_DELIMITED);
const VALUE_NUMBER = tag(2, FIXED64);
const VALUE_BOOL = tag(3, VARINT);

/**
 * Items decoded by this codec carry their vector as a `Float32Array` (vectra types it `number[]`;
 * LocalIndex only indexes and iterates it). Vectors given as either are encoded the same way.
 */
export class PackedProtobufCodec extends ProtobufCodec {
  /** Item id -> byte offset of its vector's floats, in the buffer `serializeIndex` returned last. */
  lastVectorOffsets = new Map<string, number>();

  constructor() {
    super();
    // Vectors are copied as raw little-endian float32 bytes.
    if (endianness() !== 'LE') throw new Error('PackedProtobufCodec needs a little-endian CPU');
  }

  override serializeIndex(data: IndexData): Buffer {
    const writer = new Writer();
    const indexed = data.metadata_config?.indexed ?? [];
    const configSize = indexed.reduce((n, key) => n + stringFieldSize(key), 0);
    const items = data.items.map((item) => ({ item, size: itemSize(item) }));
    const total =
      (data.version ? 1 + varintSize(data.version) : 0) +
      1 + varintSize(configSize) + configSize +
      items.reduce((n, { size }) => n + 1 + varintSize(size) + size, 0);
    writer.allocate(total);
    if (data.version) {
      writer.varint(DATA_VERSION);
      writer.varint(data.version);
    }
    writer.varint(DATA_METADATA_CONFIG);
    writer.varint(configSize);
    for (const key of indexed) writer.stringField(CONFIG_INDEXED, key);
    const offsets = new Map<string, number>();
    for (const { item, size } of items) {
      writer.varint(DATA_ITEM);
      writer.varint(size);
      writeItem(writer, item, offsets);
    }
    this.lastVectorOffsets = offsets;
    return writer.finish();
  }

  override deserializeIndex(buffer: Buffer): IndexData {
    return readIndex(buffer);
  }
}

/** Where one vector lies in a scanned index: `dims` little-endian float32 from byte `offset`. */
export type VectorVisitor = (id: string, offset: number, dims: number) => void;

/**
 * Reads index data without copying a single vector: items with a vector go to `onVector` (id and
 * where its floats lie in `buffer`) instead of the returned items. Loading reads every vector
 * straight from the file's bytes this way.
 */
export function scanIndex(buffer: Buffer, onVector: VectorVisitor): IndexData {
  return readIndex(buffer, onVector);
}

/**
 * `items` as a run of the index message's item fields, which may be appended to such a run: a
 * shard's delta log (shardDelta.ts) is one. Returns where each item's vector lies in the bytes.
 */
export function encodeItems(items: IndexItem[]): { bytes: Buffer; vectorOffsets: Map<string, number> } {
  const writer = new Writer();
  const sized = items.map((item) => ({ item, size: itemSize(item) }));
  writer.allocate(sized.reduce((n, { size }) => n + 1 + varintSize(size) + size, 0));
  const vectorOffsets = new Map<string, number>();
  for (const { item, size } of sized) {
    writer.varint(DATA_ITEM);
    writer.varint(size);
    writeItem(writer, item, vectorOffsets);
  }
  return { bytes: writer.finish(), vectorOffsets };
}

/** One item of a run that `scanItems` read, and the byte after it. */
export interface ScannedItem {
  /** Undefined for an item with a packed vector: that is `vector`. */
  item?: IndexItem;
  vector?: { id: string; offset: number; dims: number };
  end: number;
}

/**
 * The items of a run of item fields one at a time, vectors located rather than copied. Throws at
 * the first malformed or cut-short item, after handing out the whole ones before it.
 */
export function* scanItems(buffer: Buffer): Generator<ScannedItem> {
  const reader = new Reader(buffer, 0, buffer.length);
  while (reader.more()) {
    const key = reader.varint();
    if (key !== DATA_ITEM) throw new Error(`corrupt item run: field ${key >>> 3} where an item belongs`);
    let vector: ScannedItem['vector'];
    const item = readItem(reader.sub(), (id, offset, dims) => (vector = { id, offset, dims }));
    yield { item, vector, end: reader.position };
  }
}

function readIndex(buffer: Buffer, onVector?: VectorVisitor): IndexData {
  const reader = new Reader(buffer, 0, buffer.length);
  const data: IndexData = { version: 0, metadata_config: { indexed: [] }, items: [] };
  while (reader.more()) {
    const key = reader.varint();
    if (key === DATA_VERSION) data.version = reader.varint();
    else if (key === DATA_METADATA_CONFIG) {
      const config = reader.sub();
      while (config.more()) {
        const configKey = config.varint();
        if (configKey === CONFIG_INDEXED) data.metadata_config.indexed!.push(config.string());
        else config.skip(configKey);
      }
    } else if (key === DATA_ITEM) {
      const item = readItem(reader.sub(), onVector);
      if (item) data.items.push(item);
    } else reader.skip(key);
  }
  return data;
}

function itemSize(item: IndexItem): number {
  let size = stringFieldSize(item.id);
  for (const [key, value] of Object.entries(item.metadata)) {
    const entry = entrySize(key, value);
    size += 1 + varintSize(entry) + entry;
  }
  if (item.vector.length) size += 1 + varintSize(item.vector.length * 4) + item.vector.length * 4;
  size += 1 + 8;
  if (item.metadataFile) size += stringFieldSize(item.metadataFile);
  return size;
}

function entrySize(key: string, value: MetadataTypes): number {
  const valueSize = metadataValueSize(value);
  return stringFieldSize(key) + 1 + varintSize(valueSize) + valueSize;
}

function metadataValueSize(value: MetadataTypes): number {
  if (typeof value === 'number') return 1 + 8;
  if (typeof value === 'boolean') return 1 + 1;
  return stringFieldSize(String(value));
}

function writeItem(writer: Writer, item: IndexItem, vectorOffsets: Map<string, number>): void {
  writer.stringField(ITEM_ID, item.id);
  for (const [key, value] of Object.entries(item.metadata)) {
    writer.varint(ITEM_METADATA_ENTRY);
    writer.varint(entrySize(key, value));
    writer.stringField(ENTRY_KEY, key);
    writer.varint(ENTRY_VALUE);
    writer.varint(metadataValueSize(value));
    if (typeof value === 'number') {
      writer.varint(VALUE_NUMBER);
      writer.double(value);
    } else if (typeof value === 'boolean') {
      writer.varint(VALUE_BOOL);
      writer.varint(value ? 1 : 0);
    } else {
      writer.stringField(VALUE_STRING, String(value));
    }
  }
  if (item.vector.length) {
    writer.varint(ITEM_VECTOR_PACKED);
    writer.varint(item.vector.length * 4);
    vectorOffsets.set(item.id, writer.position);
    writer.floats(item.vector);
  }
  writer.varint(ITEM_NORM);
  writer.double(item.norm);
  if (item.metadataFile) writer.stringField(ITEM_METADATA_FILE, item.metadataFile);
}

/** The item; or, with `onVector`, undefined for an item with a packed vector, which goes to `onVector`. */
function readItem(reader: Reader, onVector?: VectorVisitor): IndexItem | undefined {
  const item: IndexItem = { id: '', metadata: {}, vector: [], norm: 0 };
  const singles: number[] = [];
  let vectorAt: { offset: number; dims: number } | undefined;
  while (reader.more()) {
    const key = reader.varint();
    if (key === ITEM_ID) item.id = reader.string();
    else if (key === ITEM_METADATA_ENTRY) {
      const entry = reader.sub();
      let name = '';
      let value: MetadataTypes = '';
      while (entry.more()) {
        const entryKey = entry.varint();
        if (entryKey === ENTRY_KEY) name = entry.string();
        else if (entryKey === ENTRY_VALUE) value = readMetadataValue(entry.sub());
        else entry.skip(entryKey);
      }
      item.metadata[name] = value;
    } else if (key === ITEM_VECTOR_PACKED) {
      if (onVector) vectorAt = reader.locateFloats();
      else item.vector = reader.floats() as unknown as number[];
    }
    else if (key === ITEM_VECTOR_SINGLE) singles.push(reader.float());
    else if (key === ITEM_NORM) item.norm = reader.double();
    else if (key === ITEM_METADATA_FILE) item.metadataFile = reader.string();
    else reader.skip(key);
  }
  // Unpacked encoding is legal protobuf for repeated floats, though no vectra writer emits it.
  if (singles.length) item.vector = Float32Array.from(singles) as unknown as number[];
  if (vectorAt && vectorAt.dims > 0 && !singles.length) {
    onVector!(item.id, vectorAt.offset, vectorAt.dims);
    return undefined;
  }
  return item;
}

function readMetadataValue(reader: Reader): MetadataTypes {
  let value: MetadataTypes = '';
  while (reader.more()) {
    const key = reader.varint();
    if (key === VALUE_STRING) value = reader.string();
    else if (key === VALUE_NUMBER) value = reader.double();
    else if (key === VALUE_BOOL) value = reader.varint() !== 0;
    else reader.skip(key);
  }
  return value;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function stringFieldSize(value: string): number {
  const bytes = Buffer.byteLength(value);
  return 1 + varintSize(bytes) + bytes;
}

class Writer {
  private buffer = Buffer.alloc(0);
  private offset = 0;

  get position(): number {
    return this.offset;
  }

  allocate(size: number): void {
    this.buffer = Buffer.allocUnsafe(size);
    this.offset = 0;
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.offset++] = value;
  }

  double(value: number): void {
    this.offset = this.buffer.writeDoubleLE(value, this.offset);
  }

  stringField(fieldTag: number, value: string): void {
    this.varint(fieldTag);
    this.varint(Buffer.byteLength(value));
    this.offset += this.buffer.write(value, this.offset);
  }

  floats(values: ArrayLike<number>): void {
    const floats = values instanceof Float32Array ? values : Float32Array.from(values);
    this.buffer.set(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), this.offset);
    this.offset += floats.byteLength;
  }

  finish(): Buffer {
    if (this.offset !== this.buffer.length) throw new Error(`encoder size mismatch: ${this.offset} != ${this.buffer.length}`);
    return this.buffer;
  }
}

/** A bounds-checked view of one protobuf message; malformed input throws instead of misreading. */
class Reader {
  constructor(
    private readonly buffer: Buffer,
    private offset: number,
    private readonly end: number,
  ) {}

  more(): boolean {
    return this.offset < this.end;
  }

  get position(): number {
    return this.offset;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw this.error('varint too long');
  }

  float(): number {
    this.need(4);
    const value = this.buffer.readFloatLE(this.offset);
    this.offset += 4;
    return value;
  }

  double(): number {
    this.need(8);
    const value = this.buffer.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  string(): string {
    const length = this.varint();
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  floats(): Float32Array {
    const length = this.varint();
    if (length % 4 !== 0) throw this.error('packed float field length is not a multiple of 4');
    this.need(length);
    // Copy: protobuf does not align the floats, and the shard buffer must not stay referenced.
    const floats = new Float32Array(length / 4);
    new Uint8Array(floats.buffer).set(this.buffer.subarray(this.offset, this.offset + length));
    this.offset += length;
    return floats;
  }

  /** Skips a packed float field, returning where its floats lie and how many there are. */
  locateFloats(): { offset: number; dims: number } {
    const length = this.varint();
    if (length % 4 !== 0) throw this.error('packed float field length is not a multiple of 4');
    this.need(length);
    const offset = this.offset;
    this.offset += length;
    return { offset, dims: length / 4 };
  }

  sub(): Reader {
    const length = this.varint();
    this.need(length);
    const reader = new Reader(this.buffer, this.offset, this.offset + length);
    this.offset += length;
    return reader;
  }

  skip(key: number): void {
    // Field 0 does not exist: zero-filled or shifted bytes must not decode as an empty message.
    if (key >>> 3 === 0) throw this.error('field number 0');
    const wireType = key & 7;
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.advance(8);
    else if (wireType === LENGTH_DELIMITED) this.advance(this.varint());
    else if (wireType === FIXED32) this.advance(4);
    else throw this.error(`unsupported wire type ${wireType}`);
  }

  private byte(): number {
    this.need(1);
    return this.buffer[this.offset++];
  }

  private advance(length: number): void {
    this.need(length);
    this.offset += length;
  }

  private need(length: number): void {
    if (this.offset + length > this.end) throw this.error('truncated message');
  }

  private error(message: string): Error {
    return new Error(`corrupt index data at byte ${this.offset}: ${message}`);
  }
}
