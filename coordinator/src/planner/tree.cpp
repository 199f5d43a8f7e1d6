// tree.cpp — descriptor-driven traversal and node builders for protobuf-c parse trees.
#include "planner/tree.h"

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace jade::coord::tree {
namespace {

// Allocates a zeroed message of `size` bytes and initializes it with its descriptor defaults.
template <typename T>
T* New(const T& init) {
  T* p = static_cast<T*>(std::malloc(sizeof(T)));
  std::memcpy(static_cast<void*>(p), &init, sizeof(T));
  return p;
}

char* Dup(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

PgQuery__Node* WrapNode(PgQuery__Node__NodeCase c, void* msg) {
  PgQuery__Node init = PG_QUERY__NODE__INIT;
  PgQuery__Node* n = New(init);
  n->node_case = c;
  // Every union member is a pointer at the same offset; assign through one of them.
  n->range_var = static_cast<PgQuery__RangeVar*>(msg);
  return n;
}

}  // namespace

void VisitMessages(ProtobufCMessage* root, const std::function<void(ProtobufCMessage*)>& fn) {
  if (!root) return;
  fn(root);
  const ProtobufCMessageDescriptor* d = root->descriptor;
  auto* base = reinterpret_cast<char*>(root);
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor& f = d->fields[i];
    if (f.type != PROTOBUF_C_TYPE_MESSAGE) continue;
    if (f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      // Only the active member of a oneof (Node's union) holds a valid pointer.
      if (*reinterpret_cast<uint32_t*>(base + f.quantifier_offset) != f.id) continue;
    }
    if (f.label == PROTOBUF_C_LABEL_REPEATED) {
      size_t n = *reinterpret_cast<size_t*>(base + f.quantifier_offset);
      auto** arr = *reinterpret_cast<ProtobufCMessage***>(base + f.offset);
      for (size_t k = 0; k < n; k++) VisitMessages(arr[k], fn);
    } else {
      VisitMessages(*reinterpret_cast<ProtobufCMessage**>(base + f.offset), fn);
    }
  }
}

std::string StrVal(const PgQuery__Node* n) {
  if (n && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string && n->string->sval) return n->string->sval;
  return {};
}

std::string JoinNames(PgQuery__Node* const* items, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i++) {
    if (i) out += ".";
    out += StrVal(items[i]);
  }
  return out;
}

std::string FuncName(const PgQuery__FuncCall* f) {
  if (!f || f->n_funcname == 0) return {};
  std::string s = StrVal(f->funcname[f->n_funcname - 1]);
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string ColumnName(const PgQuery__ColumnRef* c) {
  if (!c || c->n_fields == 0 || c->n_fields > 2) return {};
  return StrVal(c->fields[c->n_fields - 1]);
}

std::string ColumnQualifier(const PgQuery__ColumnRef* c) {
  if (!c || c->n_fields != 2) return {};
  return StrVal(c->fields[0]);
}

std::optional<ConstValue> ConstText(const PgQuery__Node* n) {
  if (!n || n->node_case != PG_QUERY__NODE__NODE_A_CONST) return std::nullopt;
  const PgQuery__AConst* c = n->a_const;
  ConstValue v;
  if (c->isnull) {
    v.is_null = true;
    return v;
  }
  switch (c->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL: v.text = std::to_string(c->ival ? c->ival->ival : 0); break;
    case PG_QUERY__A__CONST__VAL_FVAL: v.text = c->fval && c->fval->fval ? c->fval->fval : ""; break;
    case PG_QUERY__A__CONST__VAL_SVAL: v.text = c->sval && c->sval->sval ? c->sval->sval : ""; break;
    case PG_QUERY__A__CONST__VAL_BOOLVAL: v.text = c->boolval && c->boolval->boolval ? "true" : "false"; break;
    default: return std::nullopt;
  }
  return v;
}

void SetString(char** field, const std::string& value) {
  // The shared empty-string default is static: never free it.
  if (*field && *field != protobuf_c_empty_string) std::free(*field);
  *field = Dup(value);
}

PgQuery__Node* DeepCopy(const PgQuery__Node* n) {
  std::string buf(pg_query__node__get_packed_size(n), '\0');
  pg_query__node__pack(n, reinterpret_cast<uint8_t*>(buf.data()));
  return pg_query__node__unpack(nullptr, buf.size(), reinterpret_cast<const uint8_t*>(buf.data()));
}

void FreeNode(PgQuery__Node* n) {
  if (n) pg_query__node__free_unpacked(n, nullptr);
}

void Append(PgQuery__Node*** items, size_t* n, PgQuery__Node* item) {
  *items = static_cast<PgQuery__Node**>(std::realloc(*items, sizeof(PgQuery__Node*) * (*n + 1)));
  (*items)[(*n)++] = item;
}

void ClearList(PgQuery__Node*** items, size_t* n) {
  for (size_t i = 0; i < *n; i++) FreeNode((*items)[i]);
  std::free(*items);
  *items = nullptr;
  *n = 0;
}

PgQuery__Node* MakeString(const std::string& s) {
  PgQuery__String init = PG_QUERY__STRING__INIT;
  PgQuery__String* str = New(init);
  str->sval = Dup(s);
  return WrapNode(PG_QUERY__NODE__NODE_STRING, str);
}

PgQuery__Node* MakeIntConst(int64_t v) {
  PgQuery__AConst init = PG_QUERY__A__CONST__INIT;
  PgQuery__AConst* c = New(init);
  c->location = -1;
  if (v >= INT32_MIN && v <= INT32_MAX) {
    PgQuery__Integer iinit = PG_QUERY__INTEGER__INIT;
    c->ival = New(iinit);
    c->ival->ival = static_cast<int32_t>(v);
    c->val_case = PG_QUERY__A__CONST__VAL_IVAL;
  } else {
    // The grammar represents integers beyond int32 as Float nodes holding the digits.
    PgQuery__Float finit = PG_QUERY__FLOAT__INIT;
    c->fval = New(finit);
    c->fval->fval = Dup(std::to_string(v));
    c->val_case = PG_QUERY__A__CONST__VAL_FVAL;
  }
  return WrapNode(PG_QUERY__NODE__NODE_A_CONST, c);
}

PgQuery__Node* MakeColumnRef(const std::string& name) {
  PgQuery__ColumnRef init = PG_QUERY__COLUMN_REF__INIT;
  PgQuery__ColumnRef* c = New(init);
  c->location = -1;
  Append(&c->fields, &c->n_fields, MakeString(name));
  return WrapNode(PG_QUERY__NODE__NODE_COLUMN_REF, c);
}

PgQuery__Node* MakeFuncCall(const std::string& name, std::vector<PgQuery__Node*> args, bool star) {
  PgQuery__FuncCall init = PG_QUERY__FUNC_CALL__INIT;
  PgQuery__FuncCall* f = New(init);
  f->location = -1;
  f->funcformat = PG_QUERY__COERCION_FORM__COERCE_EXPLICIT_CALL;
  f->agg_star = star;
  Append(&f->funcname, &f->n_funcname, MakeString(name));
  for (auto* a : args) Append(&f->args, &f->n_args, a);
  return WrapNode(PG_QUERY__NODE__NODE_FUNC_CALL, f);
}

PgQuery__Node* MakeResTarget(PgQuery__Node* val, const std::string& name) {
  PgQuery__ResTarget init = PG_QUERY__RES_TARGET__INIT;
  PgQuery__ResTarget* r = New(init);
  r->location = -1;
  r->val = val;
  if (!name.empty()) r->name = Dup(name);
  return WrapNode(PG_QUERY__NODE__NODE_RES_TARGET, r);
}

PgQuery__Node* MakeRangeVar(const std::string& schema, const std::string& rel) {
  PgQuery__RangeVar init = PG_QUERY__RANGE_VAR__INIT;
  PgQuery__RangeVar* r = New(init);
  r->location = -1;
  r->inh = true;
  r->relpersistence = Dup("p");
  if (!schema.empty()) r->schemaname = Dup(schema);
  r->relname = Dup(rel);
  return WrapNode(PG_QUERY__NODE__NODE_RANGE_VAR, r);
}

}  // namespace jade::coord::tree
