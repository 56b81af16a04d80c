/*
 * Sluice's additions to QuickJS, compiled in place of quickjs.c (this file
 * includes it whole): they need its internal types and functions, which
 * quickjs.h does not export. quickjs.c itself is unchanged.
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
