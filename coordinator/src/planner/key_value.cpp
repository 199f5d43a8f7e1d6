// key_value.cpp — shard key values evaluated as PostgreSQL would (see key_value.h).
#include "planner/key_value.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>

#include "planner/planner_internal.h"

namespace jade::coord::planner {
namespace {

// What an expression evaluated to: its class (how PostgreSQL would type it) and text.
struct Val {
  enum class Class { kUnknownLiteral, kInt, kNumeric, kText, kUuid, kOther };
  Class cls = Class::kOther;
  std::string text;
  bool null = false;
  bool known = false;  ///< false: not evaluated exactly
};

Val Known(Val::Class cls, std::string text) {
  Val v;
  v.cls = cls;
  v.text = std::move(text);
  v.known = true;
  return v;
}

Val Null() {
  Val v;
  v.null = true;
  v.known = true;
  return v;
}

Val UnknownVal() { return Val{}; }

bool IsInt(KeyType t) { return t == KeyType::kInt2 || t == KeyType::kInt4 || t == KeyType::kInt8; }
bool IsText(KeyType t) { return t == KeyType::kText || t == KeyType::kVarchar; }

// The lowercased last name of a TypeName ("pg_catalog.int4" → "int4"); "" for arrays/%TYPE.
std::string TypeNameOf(const PgQuery__TypeName* tn) {
  if (!tn || tn->n_names == 0 || tn->n_array_bounds > 0 || tn->pct_type || tn->setof) return "";
  std::string name = tree::StrVal(tn->names[tn->n_names - 1]);
  for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return name;
}

// The single integer typmod of a TypeName (varchar(3) → 3); -1 none; -2 something else.
int32_t TypmodOf(const PgQuery__TypeName* tn) {
  if (tn->n_typmods == 0) return -1;
  if (tn->n_typmods != 1) return -2;
  auto c = tree::ConstText(tn->typmods[0]);
  if (!c || c->is_null || c->text.empty() || c->text.find_first_not_of("0123456789") != std::string::npos ||
      c->text.size() > 9) {
    return -2;
  }
  return static_cast<int32_t>(std::stol(c->text));
}

// Integer limits of the PostgreSQL integer type names.
std::optional<std::pair<int64_t, int64_t>> IntRange(const std::string& name) {
  if (name == "int2" || name == "smallint") return std::make_pair<int64_t, int64_t>(-32768, 32767);
  if (name == "int4" || name == "int" || name == "integer") {
    return std::make_pair<int64_t, int64_t>(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  }
  if (name == "int8" || name == "bigint") {
    return std::make_pair(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  }
  return std::nullopt;
}

std::pair<int64_t, int64_t> KeyRange(KeyType t) {
  switch (t) {
    case KeyType::kInt2:
      return {-32768, 32767};
    case KeyType::kInt4:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default:
      return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

// Reads an integer as int2in/int4in/int8in do (surrounding spaces, one sign, decimal digits).
std::optional<int64_t> ReadInteger(const std::string& s, std::pair<int64_t, int64_t> range) {
  size_t i = 0, n = s.size();
  while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) i++;
  while (n > i && std::isspace(static_cast<unsigned char>(s[n - 1]))) n--;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i >= n) return std::nullopt;
  __int128 acc = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    acc = acc * 10 + (s[i] - '0');
    if (acc > (static_cast<__int128>(1) << 64)) return std::nullopt;
  }
  if (neg) acc = -acc;
  if (acc < range.first || acc > range.second) return std::nullopt;
  return static_cast<int64_t>(acc);
}

// A plain decimal numeric ("-12.50"), rounded half away from zero to an integer (numeric → int
// casts); nullopt for other forms (exponents, NaN, Infinity) or out of range.
std::optional<int64_t> RoundNumeric(const std::string& s, std::pair<int64_t, int64_t> range) {
  size_t i = 0, n = s.size();
  while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) i++;
  while (n > i && std::isspace(static_cast<unsigned char>(s[n - 1]))) n--;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  __int128 acc = 0;
  size_t digits = 0;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
    acc = acc * 10 + (s[i] - '0');
    if (acc > (static_cast<__int128>(1) << 64)) return std::nullopt;
  }
  bool round_up = false;
  if (i < n && s[i] == '.') {
    i++;
    size_t first = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
      if (i == first) round_up = s[i] >= '5';
    }
  }
  if (i != n || digits == 0) return std::nullopt;
  if (round_up) acc += 1;
  if (neg) acc = -acc;
  if (acc < range.first || acc > range.second) return std::nullopt;
  return static_cast<int64_t>(acc);
}

// True when a plain decimal has no non-zero fraction ("5", "5.000").
bool Integral(const std::string& s) {
  size_t dot = s.find('.');
  if (dot == std::string::npos) return true;
  return s.find_first_not_of('0', dot + 1) == std::string::npos;
}

// Characters (UTF-8 code points) of s.
size_t CharLength(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// The first `chars` characters of s.
std::string FirstChars(const std::string& s, size_t chars) {
  size_t seen = 0;
  for (size_t i = 0; i < s.size(); i++) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (seen == chars) return s.substr(0, i);
      seen++;
    }
  }
  return s;
}

// Collations whose equality is byte equality (deterministic): the built-in ones, libc locales
// and ICU's predefined ones. A collation created with deterministic = false could compare
// different bytes as equal, so anything else is not known to be.
bool DeterministicCollation(const PgQuery__CollateClause* c) {
  if (c->n_collname == 0) return false;
  std::string name = tree::StrVal(c->collname[c->n_collname - 1]);
  if (c->n_collname == 2 && tree::StrVal(c->collname[0]) != "pg_catalog") return false;
  if (name == "C" || name == "POSIX" || name == "default" || name == "ucs_basic") return true;
  if (name.size() > 6 && name.compare(name.size() - 6, 6, "-x-icu") == 0) return true;
  // libc locales: ll_CC with an optional .encoding
  return name.size() >= 5 && std::islower(static_cast<unsigned char>(name[0])) && name[2] == '_' &&
         std::isupper(static_cast<unsigned char>(name[3])) && std::isupper(static_cast<unsigned char>(name[4]));
}

// Applies an explicit cast (`expr::name(typmod)`) to an evaluated value.
Val Cast(const Val& v, const PgQuery__TypeName* tn) {
  if (!v.known) return v;
  if (v.null) return v;
  std::string name = TypeNameOf(tn);
  int32_t typmod = TypmodOf(tn);
  if (name.empty() || typmod == -2) return UnknownVal();
  if (auto range = IntRange(name)) {
    if (typmod != -1) return UnknownVal();
    std::optional<int64_t> x;
    if (v.cls == Val::Class::kInt || v.cls == Val::Class::kUnknownLiteral || v.cls == Val::Class::kText) {
      x = ReadInteger(v.text, *range);
    } else if (v.cls == Val::Class::kNumeric) {
      x = RoundNumeric(v.text, *range);
    }
    if (!x) return UnknownVal();
    return Known(Val::Class::kInt, std::to_string(*x));
  }
  if (name == "text" || name == "varchar" || name == "character varying") {
    if (name == "text" && typmod != -1) return UnknownVal();
    std::string s;
    if (v.cls == Val::Class::kUnknownLiteral || v.cls == Val::Class::kText || v.cls == Val::Class::kInt ||
        v.cls == Val::Class::kUuid) {
      s = v.text;
    } else {
      return UnknownVal();
    }
    // An explicit cast to varchar(n) truncates to n characters, whatever they are (the parse
    // tree holds the declared n).
    if (typmod >= 0 && CharLength(s) > static_cast<size_t>(typmod)) s = FirstChars(s, static_cast<size_t>(typmod));
    return Known(Val::Class::kText, std::move(s));
  }
  if (name == "uuid") {
    if (typmod != -1) return UnknownVal();
    if (v.cls != Val::Class::kUnknownLiteral && v.cls != Val::Class::kText && v.cls != Val::Class::kUuid) {
      return UnknownVal();
    }
    if (!ShardIndexForKey(KeyType::kUuid, v.text, 1)) return UnknownVal();
    return Known(Val::Class::kUuid, v.text);
  }
  if (name == "numeric" || name == "decimal") {
    if (typmod != -1) return UnknownVal();
    if (v.cls == Val::Class::kInt || v.cls == Val::Class::kNumeric ||
        ((v.cls == Val::Class::kUnknownLiteral || v.cls == Val::Class::kText) &&
         RoundNumeric(v.text, {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}))) {
      return Known(Val::Class::kNumeric, v.text);
    }
    return UnknownVal();
  }
  return UnknownVal();
}

// Evaluates an expression (constants, parameters, casts, collations; nothing else).
Val Evaluate(const PgQuery__Node* n, const Params& params) {
  if (!n) return UnknownVal();
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST: {
      const PgQuery__AConst* c = n->a_const;
      if (c->isnull) return Null();
      auto t = tree::ConstText(n);
      if (!t) return UnknownVal();
      switch (c->val_case) {
        case PG_QUERY__A__CONST__VAL_IVAL:
          return Known(Val::Class::kInt, t->text);
        case PG_QUERY__A__CONST__VAL_FVAL:
          // Integer literals beyond int4 arrive as fval too: numeric in PostgreSQL until cast.
          return Known(Val::Class::kNumeric, t->text);
        case PG_QUERY__A__CONST__VAL_SVAL:
          return Known(Val::Class::kUnknownLiteral, t->text);
        default:
          return UnknownVal();
      }
    }
    case PG_QUERY__NODE__NODE_PARAM_REF: {
      int number = n->param_ref->number;
      if (number < 1 || static_cast<size_t>(number) > params.size()) return UnknownVal();
      auto t = ParamText(params, number);
      if (!t) return UnknownVal();
      if (!t->has_value()) return Null();
      switch (params[static_cast<size_t>(number - 1)].type_oid) {
        case 0:
          return Known(Val::Class::kUnknownLiteral, **t);  // typed by its use, as a literal
        case oid::kInt2:
        case oid::kInt4:
        case oid::kInt8:
          return Known(Val::Class::kInt, **t);
        case oid::kText:
        case oid::kVarchar:
          return Known(Val::Class::kText, **t);
        case oid::kUuid:
          return Known(Val::Class::kUuid, **t);
        default:
          return UnknownVal();
      }
    }
    case PG_QUERY__NODE__NODE_TYPE_CAST:
      return Cast(Evaluate(n->type_cast->arg, params), n->type_cast->type_name);
    case PG_QUERY__NODE__NODE_COLLATE_CLAUSE:
      if (!DeterministicCollation(n->collate_clause)) return UnknownVal();
      return Evaluate(n->collate_clause->arg, params);
    default:
      return UnknownVal();
  }
}

}  // namespace

KeyValue EvaluateKey(const PgQuery__Node* expr, const Params& params, KeyType key_type, KeyUse use,
                     int32_t key_typmod) {
  Val v = Evaluate(expr, params);
  if (!v.known) return KeyValue::Unknown();
  KeyValue out;
  if (v.null) {
    out.kind = KeyValue::Kind::kNull;
    return out;
  }
  std::optional<std::string> text;
  if (IsInt(key_type)) {
    std::pair<int64_t, int64_t> range = KeyRange(key_type);
    std::optional<int64_t> x;
    switch (v.cls) {
      case Val::Class::kInt:
      case Val::Class::kUnknownLiteral:
        x = ReadInteger(v.text, range);
        // A literal the integer input rejects (syntax or range) is an error in PostgreSQL.
        if (!x && v.cls == Val::Class::kUnknownLiteral && use == KeyUse::kAssign) {
          out.kind = KeyValue::Kind::kInvalid;
          return out;
        }
        break;
      case Val::Class::kNumeric:
        // Compared as numeric: only an integral value can equal a key; stored: rounded.
        if (use == KeyUse::kAssign || Integral(v.text)) x = RoundNumeric(v.text, range);
        break;
      default:
        break;
    }
    if (x) text = std::to_string(*x);
  } else if (IsText(key_type)) {
    switch (v.cls) {
      case Val::Class::kUnknownLiteral:
      case Val::Class::kText:
        text = v.text;
        break;
      case Val::Class::kInt:
      case Val::Class::kUuid:
        // Stored through the assignment cast to text; text = integer has no operator.
        if (use == KeyUse::kAssign) text = v.text;
        break;
      default:
        break;
    }
    if (text && use == KeyUse::kAssign && key_type == KeyType::kVarchar) {
      // varchar(n) input drops spaces beyond n characters (and refuses other excess characters,
      // which then fails on the shard whatever shard it is sent to).
      if (key_typmod >= 0) {
        *text = VarcharStored(*text, key_typmod);
      } else if (key_typmod == kUnknownTypmod && !text->empty() && text->back() == ' ') {
        text.reset();  // the length limit is not known: PostgreSQL decides
      }
    }
  } else if (key_type == KeyType::kUuid) {
    if (v.cls == Val::Class::kUnknownLiteral || v.cls == Val::Class::kUuid) text = v.text;
    if (text && use == KeyUse::kAssign && v.cls == Val::Class::kUnknownLiteral && !ShardIndexForKey(key_type, *text, 1)) {
      out.kind = KeyValue::Kind::kInvalid;
      return out;
    }
  }
  if (!text) return KeyValue::Unknown();
  if (!ShardIndexForKey(key_type, *text, 1)) return KeyValue::Unknown();
  out.kind = KeyValue::Kind::kValue;
  out.text = std::move(*text);
  return out;
}

const PgQuery__Node* StripValuePreservingCasts(const PgQuery__Node* n, KeyType key_type) {
  while (n) {
    if (n->node_case == PG_QUERY__NODE__NODE_COLLATE_CLAUSE) {
      if (!DeterministicCollation(n->collate_clause)) return nullptr;
      n = n->collate_clause->arg;
      continue;
    }
    if (n->node_case != PG_QUERY__NODE__NODE_TYPE_CAST) return n;
    const PgQuery__TypeName* tn = n->type_cast->type_name;
    std::string name = TypeNameOf(tn);
    int32_t typmod = TypmodOf(tn);
    bool keeps = false;
    if (IsInt(key_type)) {
      auto range = IntRange(name);
      keeps = typmod == -1 && ((range && range->first <= KeyRange(key_type).first) || name == "numeric");
    } else if (IsText(key_type)) {
      keeps = typmod == -1 && (name == "text" || name == "varchar");
    } else if (key_type == KeyType::kUuid) {
      keeps = typmod == -1 && name == "uuid";
    }
    if (!keeps) return nullptr;
    n = n->type_cast->arg;
  }
  return n;
}

}  // namespace jade::coord::planner
