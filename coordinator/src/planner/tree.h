// tree.h — small helpers over libpg_query's protobuf-c parse trees.
//
// Memory rule: a MutableStatement's tree is freed by protobuf-c's free_unpacked with the default
// (malloc/free) allocator, which frees every sub-message, array and string it finds. So every
// node, array and string these helpers put into a tree is malloc'd, and nodes taken out of a
// tree are freed with FreeNode(). Never put a pointer to memory we own elsewhere into a tree.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jade::coord::tree {

/** Visits every message reachable from `root` (pre-order), including `root`. */
void VisitMessages(ProtobufCMessage* root, const std::function<void(ProtobufCMessage*)>& fn);

/** Text of a String node ("" for other nodes). */
std::string StrVal(const PgQuery__Node* n);
/** Joined names of a list of String nodes with '.' ("pg_catalog.count"). */
std::string JoinNames(PgQuery__Node* const* items, size_t n);
/** Lowercased last name of a function call ("count"). */
std::string FuncName(const PgQuery__FuncCall* f);
/** Column name of a one- or two-part ColumnRef (last field); "" for `*` or other shapes. */
std::string ColumnName(const PgQuery__ColumnRef* c);
/** Qualifier of a two-part ColumnRef ("t" in t.id); "" otherwise. */
std::string ColumnQualifier(const PgQuery__ColumnRef* c);

/** The value of a constant: nullopt for a non-constant, and `is_null` set for NULL. */
struct ConstValue {
  std::string text;
  bool is_null = false;
};
std::optional<ConstValue> ConstText(const PgQuery__Node* n);

/** Replaces a string field, freeing the old malloc'd string. */
void SetString(char** field, const std::string& value);

/** Deep copy of a node (pack + unpack). */
PgQuery__Node* DeepCopy(const PgQuery__Node* n);
/** Frees a node that is not (or no longer) inside a tree. */
void FreeNode(PgQuery__Node* n);
/** Appends `item` to a repeated Node field. */
void Append(PgQuery__Node*** items, size_t* n, PgQuery__Node* item);
/** Removes and frees every element of a repeated Node field. */
void ClearList(PgQuery__Node*** items, size_t* n);

// Builders (all malloc'd, ready to be put into a tree).
PgQuery__Node* MakeString(const std::string& s);
PgQuery__Node* MakeIntConst(int64_t v);
PgQuery__Node* MakeColumnRef(const std::string& name);
PgQuery__Node* MakeFuncCall(const std::string& name, std::vector<PgQuery__Node*> args, bool star = false);
PgQuery__Node* MakeResTarget(PgQuery__Node* val, const std::string& name);
PgQuery__Node* MakeRangeVar(const std::string& schema, const std::string& rel);

}  // namespace jade::coord::tree
