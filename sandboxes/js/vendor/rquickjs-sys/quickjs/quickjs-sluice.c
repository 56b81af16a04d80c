/*
 * Sluice's additions to QuickJS, compiled in place of quickjs.c (this file
 * includes it whole): they need its internal types and functions, which
 * quickjs.h does not export. quickjs.c is the package's but for one patch,
 * its arenas' lazy free lists (../VENDORED.md).
 *
 * They serve the interpreter's tool-result builder (sandboxes/js/src/json.rs),
 * which makes a result's values as JSON.parse would, straight from its bytes.
 * Each makes exactly what the public API calls named in its comment make, only
 * with less work; the builder's tests compare its values with JSON.parse's.
 */

#include "quickjs.c"

/*
 * An ordinary object (Object.prototype, extensible) with `count` data
 * properties, as JS_NewObject(ctx) followed by
 * JS_DefinePropertyValue(ctx, obj, atoms[i], values[i], JS_PROP_C_W_E) for
 * each i in order makes it, a repeated key included. Takes ownership of the
 * values, also when it fails (JS_EXCEPTION); the atoms stay the caller's.
 *
 * JSON records of one kind repeat their keys in order, so their objects share
 * one shape. That shape is taken from `like` (JS_UNDEFINED or an object made
 * earlier) when its properties are exactly these, else found in the runtime's
 * shape table by following the transitions from the empty object's shape one
 * key at a time, as JS_DefinePropertyValue would: the object is then made
 * with its final shape and its property array sized once, instead of growing
 * both key by key. A step not in the table (a key sequence whose shapes are
 * not alive, or a repeated key, which no shape holds twice) makes the object
 * property by property through the public calls. `*shared` says which:
 * 1 if the shape was there, 0 if not.
 */
JSValue JS_SluiceNewPlainObject(JSContext *ctx, JSValueConst like, int count,
                                const JSAtom *atoms, JSValue *values,
                                int *shared)
{
    JSObject *proto = JS_VALUE_GET_OBJ(ctx->class_proto[JS_CLASS_OBJECT]);
    JSShape *sh = NULL;
    JSShapeProperty *prs;
    JSValue obj;
    JSObject *p;
    int i;

    if (JS_VALUE_GET_TAG(like) == JS_TAG_OBJECT) {
        JSShape *like_sh = JS_VALUE_GET_OBJ(like)->shape;
        /* An unhashed shape belongs to one object (add_property relies on
           it), so only a hashed one may be shared. */
        if (JS_VALUE_GET_OBJ(like)->class_id == JS_CLASS_OBJECT &&
            like_sh->is_hashed && like_sh->proto == proto &&
            like_sh->prop_count == count && like_sh->deleted_prop_count == 0) {
            prs = get_shape_prop(like_sh);
            for (i = 0; i < count; i++) {
                if (prs[i].atom != atoms[i] || prs[i].flags != JS_PROP_C_W_E)
                    break;
            }
            if (i == count)
                sh = like_sh;
        }
    }
    if (!sh) {
        sh = find_hashed_shape_proto(ctx->rt, proto);
        for (i = 0; sh && i < count; i++)
            sh = find_hashed_shape_prop(ctx->rt, sh, atoms[i], JS_PROP_C_W_E);
    }
    *shared = sh != NULL;
    if (sh) {
        /* Frees the shape reference it is given if it fails. */
        obj = JS_NewObjectFromShape(ctx, js_dup_shape(sh), JS_CLASS_OBJECT, NULL);
        if (JS_IsException(obj))
            goto fail;
        p = JS_VALUE_GET_OBJ(obj);
        for (i = 0; i < count; i++)
            p->prop[i].u.value = values[i];
        return obj;
    }

    obj = JS_NewObject(ctx);
    if (JS_IsException(obj))
        goto fail;
    for (i = 0; i < count; i++) {
        /* Takes the value, also when it fails. */
        if (JS_DefinePropertyValue(ctx, obj, atoms[i], values[i],
                                   JS_PROP_C_W_E) < 0) {
            JS_FreeValue(ctx, obj);
            for (i++; i < count; i++)
                JS_FreeValue(ctx, values[i]);
            return JS_EXCEPTION;
        }
    }
    return obj;
fail:
    for (i = 0; i < count; i++)
        JS_FreeValue(ctx, values[i]);
    return JS_EXCEPTION;
}

/*
 * A string of `len` ASCII bytes (the caller has checked there is no byte
 * above 0x7f), as JS_NewStringLen makes it, without scanning the bytes for
 * UTF-8 again.
 */
JSValue JS_SluiceNewAsciiString(JSContext *ctx, const char *buf, size_t len)
{
    if (len == 0)
        return js_empty_string(ctx->rt);
    if (len > JS_STRING_LEN_MAX)
        return JS_ThrowRangeError(ctx, "invalid string length");
    return js_new_string8_len(ctx, buf, (int)len);
}

/*
 * Where the running code is, as `new Error().stack` would describe it from
 * the innermost bytecode function's frame, kept as an array
 * [func, pc, func, pc, ...] instead of text: each frame's function and its
 * bytecode offset, -1 for a bytecode frame whose position is unknown, -2 for
 * a native function's. Native frames above the innermost bytecode function
 * (the binding that called this) are left out, as the Error constructor leaves
 * out its own; Error.stackTraceLimit and backtrace barriers apply as they do
 * to errors. JS_SluiceFormatSite writes the text build_backtrace writes.
 *
 * Every tool call records where the program made it, for the error it may
 * end in; formatting that each time (function names, a line table walk per
 * frame, printf) was a tenth of a one-call run.
 */
JSValue JS_SluiceCaptureSite(JSContext *ctx)
{
    JSValue items[2 * 64];
    JSStackFrame *sf = ctx->rt->current_stack_frame;
    JSFunctionBytecode *b;
    JSObject *p;
    double d;
    int limit, n = 0;

    if (JS_ToFloat64(ctx, &d, ctx->error_stack_trace_limit) < 0) {
        JS_FreeValue(ctx, JS_GetException(ctx));
        d = NAN;
    }
    limit = isnan(d) || d < 0 ? 0 : d > 64 ? 64 : (int)d;
    while (sf && !(JS_VALUE_GET_TAG(sf->cur_func) == JS_TAG_OBJECT &&
                   js_class_has_bytecode(JS_VALUE_GET_OBJ(sf->cur_func)->class_id)))
        sf = sf->prev_frame;
    for (; sf && n < 2 * limit; sf = sf->prev_frame) {
        if (JS_VALUE_GET_TAG(sf->cur_func) != JS_TAG_OBJECT)
            continue;
        p = JS_VALUE_GET_OBJ(sf->cur_func);
        b = js_class_has_bytecode(p->class_id) ? p->u.func.function_bytecode : NULL;
        items[n++] = js_dup(sf->cur_func);
        if (!b)
            items[n++] = js_int32(-2);
        else if (!sf->cur_pc)
            items[n++] = js_int32(-1);
        else
            items[n++] = js_int32((int32_t)(sf->cur_pc - b->byte_code_buf - 1));
        if (b && b->backtrace_barrier)
            break;
    }
    /* Takes the items, also when it fails. */
    return JS_NewArrayFrom(ctx, n, items);
}

/*
 * The text build_backtrace writes for the frames JS_SluiceCaptureSite kept:
 * a line "    at <name> (<file>:<line>:<column>)" per frame, "(missing)"
 * when a bytecode frame's position is unknown, "(native)" for native code.
 * Anything else in `site` (it is Sluice's prelude's own) ends the text.
 */
JSValue JS_SluiceFormatSite(JSContext *ctx, JSValueConst site)
{
    JSValue func, item;
    JSFunctionBytecode *b;
    JSObject *p;
    DynBuf dbuf;
    const char *name, *file;
    uint32_t i, len;
    int32_t pc;
    int line, col;

    if (JS_VALUE_GET_TAG(site) != JS_TAG_OBJECT ||
        JS_VALUE_GET_OBJ(site)->class_id != JS_CLASS_ARRAY ||
        js_get_length32(ctx, &len, site) < 0)
        return JS_ThrowTypeError(ctx, "not a call site");
    js_dbuf_init(ctx, &dbuf);
    for (i = 0; i + 1 < len; i += 2) {
        func = JS_GetPropertyUint32(ctx, site, i);
        item = JS_GetPropertyUint32(ctx, site, i + 1);
        if (JS_VALUE_GET_TAG(func) != JS_TAG_OBJECT || JS_VALUE_GET_TAG(item) != JS_TAG_INT) {
            JS_FreeValue(ctx, func);
            JS_FreeValue(ctx, item);
            break;
        }
        pc = JS_VALUE_GET_INT(item);
        p = JS_VALUE_GET_OBJ(func);
        b = js_class_has_bytecode(p->class_id) ? p->u.func.function_bytecode : NULL;
        /* UTF-8, as build_backtrace writes it */
        name = get_func_name(ctx, func);
        dbuf_printf(&dbuf, "    at %s", name && name[0] ? name : "<anonymous>");
        JS_FreeCString(ctx, name);
        if (b && pc >= 0 && pc < b->byte_code_len) {
            line = find_line_num(ctx, b, pc, &col);
            file = b->filename ? JS_AtomToCString(ctx, b->filename) : NULL;
            dbuf_printf(&dbuf, " (%s", file ? file : "<null>");
            JS_FreeCString(ctx, file);
            if (line != -1)
                dbuf_printf(&dbuf, ":%d:%d", line, col);
            dbuf_putc(&dbuf, ')');
        } else if (b) {
            dbuf_printf(&dbuf, " (missing)");
        } else {
            dbuf_printf(&dbuf, " (native)");
        }
        dbuf_putc(&dbuf, '\n');
        JS_FreeValue(ctx, func);
    }
    if (dbuf_error(&dbuf)) {
        dbuf_free(&dbuf);
        return JS_ThrowOutOfMemory(ctx);
    }
    item = JS_NewStringLen(ctx, (char *)dbuf.buf, dbuf.size);
    dbuf_free(&dbuf);
    return item;
}

/*
 * Takes every free block of the small-block arenas, for good, and returns
 * how many it took. Called once before the interpreter's memory is
 * snapshotted: a run's small allocations then come from fresh arenas
 * (JS_SluicePrimeArenas makes them, next to each other), instead of the free
 * blocks left in the snapshot's partly used arenas, one 4 KB arena per size
 * class scattered through the heap. The host's reset keeps a run's written
 * pages resident only up to 32 separate ranges of them; the pages past that
 * were returned to the kernel and faulted in again by every run. The blocks
 * are not counted as allocated (the collector's threshold is unchanged).
 */
size_t JS_SluiceFillArenas(JSRuntime *rt)
{
    size_t taken = 0;
    int i;

    for (i = 0; i < JS_ARENA_BLOCK_SIZE_COUNT; i++) {
        struct list_head *head = &rt->arena_state.free_arena_list[i];
        size_t size = arena_block_sizes[i] - sizeof(JSMallocBlockHeader);
        /* The size's class is i: the block is exactly one of its blocks. */
        while (head->next != head && js_arena_malloc(rt, size))
            taken++;
    }
    return taken;
}

/*
 * Makes an empty arena for every size class that has no free block, and
 * returns how many it made (or -1 if out of memory). Called last before the
 * snapshot, after JS_SluiceFillArenas, while the heap's one free chunk is the
 * room below the engine's objects: the arenas are made there, next to each
 * other, so a run's first objects of each size take blocks from arenas already
 * in place instead of making each one itself.
 */
int JS_SluicePrimeArenas(JSRuntime *rt)
{
    int i, made = 0;

    for (i = 0; i < JS_ARENA_BLOCK_SIZE_COUNT; i++) {
        if (!list_empty(&rt->arena_state.free_arena_list[i]))
            continue;
        if (!arena_new(rt, i))
            return -1;
        made++;
    }
    return made;
}
