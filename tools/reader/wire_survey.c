#include "wire_survey.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.pb-c.h"

enum field_kind { SCALAR, REPEATED_SCALAR, STRING, MESSAGE, REPEATED_MESSAGE };

struct message_kind;

struct field_spec {
	enum field_kind kind;
	const struct message_kind *message; /* for MESSAGE and REPEATED_MESSAGE */
};

/* A message of profile.proto: its decoded size and its fields, by number. */
struct message_kind {
	size_t size;
	unsigned n_fields;
	const struct field_spec *fields; /* fields[number - 1] */
};

#define KIND(type, specs)                                         \
	{                                                         \
		sizeof(type), sizeof specs / sizeof *specs, specs \
	}

static const struct field_spec scalars[10] = {{SCALAR, NULL}};
static const struct message_kind value_type = {sizeof(Perftools__Profiles__ValueType), 2, scalars};
static const struct message_kind label = {sizeof(Perftools__Profiles__Label), 4, scalars};
static const struct message_kind line = {sizeof(Perftools__Profiles__Line), 2, scalars};
static const struct message_kind mapping = {sizeof(Perftools__Profiles__Mapping), 10, scalars};
static const struct message_kind function = {sizeof(Perftools__Profiles__Function), 5, scalars};

static const struct field_spec sample_fields[] = {
	{REPEATED_SCALAR, NULL}, /* location_id */
	{REPEATED_SCALAR, NULL}, /* value */
	{REPEATED_MESSAGE, &label},
};
static const struct message_kind sample = KIND(Perftools__Profiles__Sample, sample_fields);

static const struct field_spec location_fields[] = {
	{SCALAR, NULL}, {SCALAR, NULL}, {SCALAR, NULL}, {REPEATED_MESSAGE, &line}, {SCALAR, NULL},
};
static const struct message_kind location = KIND(Perftools__Profiles__Location, location_fields);

enum { PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4, PROFILE_TIME_NANOS = 9 };
static const struct field_spec profile_fields[] = {
	{REPEATED_MESSAGE, &value_type}, /* sample_type */
	{REPEATED_MESSAGE, &sample},
	{REPEATED_MESSAGE, &mapping},
	{REPEATED_MESSAGE, &location},
	{REPEATED_MESSAGE, &function},
	{STRING, NULL},          /* string_table */
	{SCALAR, NULL},          /* drop_frames */
	{SCALAR, NULL},          /* keep_frames */
	{SCALAR, NULL},          /* time_nanos */
	{SCALAR, NULL},          /* duration_nanos */
	{MESSAGE, &value_type},  /* period_type */
	{SCALAR, NULL},          /* period */
	{REPEATED_SCALAR, NULL}, /* comment */
	{SCALAR, NULL},          /* default_sample_type */
};
static const struct message_kind profile = KIND(Perftools__Profiles__Profile, profile_fields);

/* Profile > Sample > Label is the deepest the schema goes. */
enum { DEEPEST = 3 };

/* protobuf-c's own costs: each field it meets is first noted in a 32-byte
   record, in slabs of 16, 32, 64... records of which the first lives on its
   stack (freed, but the arena reuses nothing); an unknown field is kept,
   with a copy of its bytes; every block is rounded up to 8 bytes. */
enum { SCANNED_FIELD_BYTES = 32, FIRST_SLAB_FIELDS = 16, UNKNOWN_FIELD_BYTES = 24, POINTER_BYTES = 8 };

static size_t rounded(size_t size)
{
	return (size + 7) & ~(size_t)7;
}

static size_t slab_bytes(size_t fields)
{
	size_t bytes = 0;
	for (size_t slab = FIRST_SLAB_FIELDS, held = FIRST_SLAB_FIELDS; held < fields; held += slab)
		bytes += (slab *= 2) * SCANNED_FIELD_BYTES;
	return bytes;
}

struct wire_field {
	unsigned wire_type;
	uint64_t number, value;    /* value: a varint's */
	const unsigned char *data; /* a length-delimited field's bytes */
	size_t length;             /* the field's bytes after its key */
};

enum { FIELD_READ, FIELD_TRUNCATED, FIELD_BAD_WIRE_TYPE };

static int read_varint(const unsigned char **cursor, const unsigned char *end, uint64_t *value)
{
	uint64_t result = 0;
	for (int shift = 0; shift < 64 && *cursor < end; shift += 7) {
		unsigned char byte = *(*cursor)++;
		result |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*value = result;
			return 0;
		}
	}
	return -1;
}

static int read_field(const unsigned char **cursor, const unsigned char *end, struct wire_field *field)
{
	uint64_t key;
	if (read_varint(cursor, end, &key))
		return FIELD_TRUNCATED;
	*field = (struct wire_field){.wire_type = key & 7, .number = key >> 3, .data = *cursor};
	size_t left = (size_t)(end - *cursor), skip;
	switch (field->wire_type) {
	case 0:
		if (read_varint(cursor, end, &field->value))
			return FIELD_TRUNCATED;
		field->length = (size_t)(*cursor - field->data);
		return FIELD_READ;
	case 1:
	case 5:
		skip = field->wire_type == 1 ? 8 : 4;
		break;
	case 2:
		if (read_varint(cursor, end, &field->value) || field->value > (uint64_t)(end - *cursor))
			return FIELD_TRUNCATED;
		field->data = *cursor;
		left = (size_t)(end - *cursor);
		skip = (size_t)field->value;
		break;
	default:
		return FIELD_BAD_WIRE_TYPE;
	}
	if (left < skip)
		return FIELD_TRUNCATED;
	*cursor += skip;
	field->length = (size_t)(*cursor - field->data);
	return FIELD_READ;
}

static void add(struct wire_survey *survey, size_t bytes)
{
	survey->decoded_bytes =
		bytes > SIZE_MAX - survey->decoded_bytes ? SIZE_MAX : survey->decoded_bytes + bytes;
}

static size_t packed_count(const struct wire_field *field)
{
	size_t count = 0;
	for (size_t i = 0; i < field->length; i++)
		count += !(field->data[i] & 0x80);
	return count;
}

/* What decoding one field allocates, its own message's part excepted. */
static size_t field_bytes(const struct field_spec *spec, const struct wire_field *field)
{
	if (!spec)
		return UNKNOWN_FIELD_BYTES + rounded(field->length);
	switch (spec->kind) {
	case REPEATED_SCALAR:
		return POINTER_BYTES * (field->wire_type == 2 ? packed_count(field) : 1);
	case STRING:
		return POINTER_BYTES + rounded(field->length + 1);
	case MESSAGE:
		return rounded(spec->message->size);
	case REPEATED_MESSAGE:
		return POINTER_BYTES + rounded(spec->message->size);
	default:
		return 0;
	}
}

/* pprof's decoder skips any field it does not know; protobuf-c refuses
   these ones. */
static bool skipped_by_pprof_only(uint64_t number)
{
	return number == 0 || number > UINT32_MAX;
}

struct level {
	const unsigned char *cursor, *end;
	const struct message_kind *kind;
	size_t fields;
};

static const struct field_spec *spec_of(const struct message_kind *kind, uint64_t number)
{
	return number >= 1 && number <= kind->n_fields ? &kind->fields[number - 1] : NULL;
}

/* The top level's own checks: its counts, and a second time_nanos. */
static int note_top_field(const struct wire_field *field, struct wire_survey *survey, uint64_t *time_nanos)
{
	if (field->wire_type == 2 && field->number == PROFILE_SAMPLE)
		survey->samples++;
	if (field->wire_type == 2 && field->number == PROFILE_LOCATION)
		survey->locations++;
	if (field->wire_type != 0 || field->number != PROFILE_TIME_NANOS)
		return 0;
	if (*time_nanos != 0)
		return -1;
	*time_nanos = field->value;
	return 0;
}

int wire_survey_profile(const unsigned char *bytes, size_t size, struct wire_survey *survey, char *error,
			size_t error_size)
{
	*survey = (struct wire_survey){.decoded_bytes = rounded(profile.size)};
	struct level levels[DEEPEST] = {{bytes, bytes + size, &profile, 0}};
	int depth = 0;
	uint64_t time_nanos = 0;
	while (depth >= 0) {
		struct level *level = &levels[depth];
		if (level->cursor == level->end) {
			add(survey, slab_bytes(level->fields));
			depth--;
			continue;
		}
		struct wire_field field;
		int status = read_field(&level->cursor, level->end, &field);
		if (status != FIELD_READ && depth == 0) {
			snprintf(error, error_size, "parsing profile: %s",
				 status == FIELD_TRUNCATED ? "truncated or corrupt protobuf"
							   : "not a profile.proto message");
			return -1;
		}
		if (status != FIELD_READ) {
			level->cursor = level->end;
			continue;
		}
		level->fields++;
		survey->skipped_fields += skipped_by_pprof_only(field.number);
		const struct field_spec *spec = spec_of(level->kind, field.number);
		add(survey, field_bytes(spec, &field));
		if (depth == 0 && note_top_field(&field, survey, &time_nanos)) {
			snprintf(error, error_size, "parsing profile: concatenated profiles detected");
			return -1;
		}
		if (spec && spec->message && field.wire_type == 2)
			levels[++depth] =
				(struct level){field.data, field.data + field.length, spec->message, 0};
	}
	return 0;
}

static size_t put_varint(unsigned char *out, uint64_t value)
{
	size_t length = 0;
	do {
		out[length++] = (unsigned char)((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
		value >>= 7;
	} while (value);
	return length;
}

static size_t varint_length(uint64_t value)
{
	size_t length = 1;
	while (value >>= 7)
		length++;
	return length;
}

/* The bytes a message of kind takes without the skipped fields. The schema,
   not the input, bounds the recursion here and below. A field that does not
   parse ends the message with the rest as it is, for protobuf-c to refuse. */
static size_t size_without_skipped(const unsigned char *in, size_t size, const struct message_kind *kind)
{
	const unsigned char *cursor = in, *end = in + size;
	size_t total = 0;
	while (cursor < end) {
		const unsigned char *start = cursor;
		struct wire_field field;
		if (read_field(&cursor, end, &field) != FIELD_READ)
			return total + (size_t)(end - start);
		if (skipped_by_pprof_only(field.number))
			continue;
		const struct field_spec *spec = spec_of(kind, field.number);
		if (!spec || !spec->message || field.wire_type != 2) {
			total += (size_t)(cursor - start);
			continue;
		}
		size_t length = size_without_skipped(field.data, field.length, spec->message);
		total += varint_length(field.number << 3 | 2) + varint_length(length) + length;
	}
	return total;
}

/* Writes the message of kind at in to out without the skipped fields, and
   returns its new size. out may be in: what is written never passes what
   has been read, for no key or length grows. */
static size_t write_without_skipped(unsigned char *out, const unsigned char *in, size_t size,
				    const struct message_kind *kind)
{
	const unsigned char *cursor = in, *end = in + size;
	size_t written = 0;
	while (cursor < end) {
		const unsigned char *start = cursor;
		struct wire_field field;
		if (read_field(&cursor, end, &field) != FIELD_READ) {
			memmove(out + written, start, (size_t)(end - start));
			return written + (size_t)(end - start);
		}
		if (skipped_by_pprof_only(field.number))
			continue;
		const struct field_spec *spec = spec_of(kind, field.number);
		if (!spec || !spec->message || field.wire_type != 2) {
			memmove(out + written, start, (size_t)(cursor - start));
			written += (size_t)(cursor - start);
			continue;
		}
		written += put_varint(out + written, field.number << 3 | 2);
		written += put_varint(out + written,
				      size_without_skipped(field.data, field.length, spec->message));
		written += write_without_skipped(out + written, field.data, field.length, spec->message);
	}
	return written;
}

size_t wire_survey_take_out_skipped(unsigned char *bytes, size_t size)
{
	return write_without_skipped(bytes, bytes, size, &profile);
}
