/* formats/parquet/kn_pq_format.h: numbers from the Parquet format's parquet.thrift and from the
 * Thrift compact protocol, shared by the writer (kn_pq_*) and the footer reader (kn_pqr_*). */
#ifndef KN_PQ_FORMAT_H
#define KN_PQ_FORMAT_H

/* parquet.thrift: Type */
enum {
    KN_PQ_BOOLEAN = 0,
    KN_PQ_INT32 = 1,
    KN_PQ_INT64 = 2,
    KN_PQ_INT96 = 3,
    KN_PQ_FLOAT = 4,
    KN_PQ_DOUBLE = 5,
    KN_PQ_BYTE_ARRAY = 6,
    KN_PQ_FIXED_LEN_BYTE_ARRAY = 7
};

/* parquet.thrift: ConvertedType */
enum {
    KN_PQ_CT_UTF8 = 0,
    KN_PQ_CT_MAP = 1,
    KN_PQ_CT_MAP_KEY_VALUE = 2,
    KN_PQ_CT_LIST = 3,
    KN_PQ_CT_ENUM = 4,
    KN_PQ_CT_DECIMAL = 5,
    KN_PQ_CT_DATE = 6,
    KN_PQ_CT_TIME_MILLIS = 7,
    KN_PQ_CT_TIME_MICROS = 8,
    KN_PQ_CT_TIMESTAMP_MILLIS = 9,
    KN_PQ_CT_TIMESTAMP_MICROS = 10,
    KN_PQ_CT_UINT_8 = 11,
    KN_PQ_CT_UINT_16 = 12,
    KN_PQ_CT_UINT_32 = 13,
    KN_PQ_CT_UINT_64 = 14,
    KN_PQ_CT_INT_8 = 15,
    KN_PQ_CT_INT_16 = 16,
    KN_PQ_CT_INT_32 = 17,
    KN_PQ_CT_INT_64 = 18,
    KN_PQ_CT_JSON = 19,
    KN_PQ_CT_BSON = 20,
    KN_PQ_CT_INTERVAL = 21
};

/* parquet.thrift: FieldRepetitionType */
enum { KN_PQ_REQUIRED = 0, KN_PQ_OPTIONAL = 1, KN_PQ_REPEATED = 2 };

/* parquet.thrift: Encoding */
enum {
    KN_PQ_ENC_PLAIN = 0,
    KN_PQ_ENC_PLAIN_DICTIONARY = 2,
    KN_PQ_ENC_RLE = 3,
    KN_PQ_ENC_BIT_PACKED = 4,
    KN_PQ_ENC_DELTA_BINARY_PACKED = 5,
    KN_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    KN_PQ_ENC_DELTA_BYTE_ARRAY = 7,
    KN_PQ_ENC_RLE_DICTIONARY = 8,
    KN_PQ_ENC_BYTE_STREAM_SPLIT = 9
};

/* parquet.thrift: CompressionCodec */
enum {
    KN_PQ_CODEC_UNCOMPRESSED = 0,
    KN_PQ_CODEC_SNAPPY = 1,
    KN_PQ_CODEC_GZIP = 2,
    KN_PQ_CODEC_LZO = 3,
    KN_PQ_CODEC_BROTLI = 4,
    KN_PQ_CODEC_LZ4 = 5, /* the old framed LZ4: never written */
    KN_PQ_CODEC_ZSTD = 6,
    KN_PQ_CODEC_LZ4_RAW = 7
};

/* parquet.thrift: PageType */
enum {
    KN_PQ_PAGE_DATA = 0,
    KN_PQ_PAGE_INDEX = 1,
    KN_PQ_PAGE_DICTIONARY = 2,
    KN_PQ_PAGE_DATA_V2 = 3
};

/* Thrift compact protocol field/element types. */
enum {
    KN_TC_STOP = 0,
    KN_TC_BOOL_TRUE = 1,
    KN_TC_BOOL_FALSE = 2,
    KN_TC_BYTE = 3,
    KN_TC_I16 = 4,
    KN_TC_I32 = 5,
    KN_TC_I64 = 6,
    KN_TC_DOUBLE = 7,
    KN_TC_BINARY = 8,
    KN_TC_LIST = 9,
    KN_TC_SET = 10,
    KN_TC_MAP = 11,
    KN_TC_STRUCT = 12
};

#endif
