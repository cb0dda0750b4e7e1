/*
 * HAPI FHIR's instance validator over FHIR R4 resources, offline, as one long-lived process: one JSON resource per
 * line on standard input, one JSON line of results per resource on standard output, in order:
 *
 *   {"errors": 0, "warnings": 0, "information": 2, "messages": [{"severity": "information", "location": "...",
 *    "message": "...", "messageId": "..."}]}
 *
 * The first line it prints, {"ready": true, "hapi": "8.8.0"}, says the R4 core definitions are loaded. Nothing
 * is filtered out: every message the validator gives is counted and passed on (SNOMED CT cannot be checked
 * offline, and the validator says so at information level).
 *
 * Run from its source with the jars that deploy/fhir-validator/pom.xml fetches (java's single-file launch, so
 * there is nothing to build):  java -cp 'LIBS/*' deploy/fhir-validator/ValidateResources.java [FILE...]
 *
 * Each FILE is a conformance resource of the record's own (a CodeSystem it defines, say) that the validator is
 * to know, as it would find it on the record's FHIR server.
 */

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

public class ValidateResources {
    public static void main(String[] args) throws Exception {
        FhirContext context = FhirContext.forR4();
        PrePopulatedValidationSupport own = new PrePopulatedValidationSupport(context);
        for (String file : args) {
            own.addResource(context.newJsonParser().parseResource(Files.readString(Path.of(file))));
        }
        ValidationSupportChain support = new ValidationSupportChain(
                own,
                new DefaultProfileValidationSupport(context),
                new InMemoryTerminologyServerValidationSupport(context),
                new CommonCodeSystemsTerminologyService(context));
        FhirValidator validator =
                context.newValidator().registerValidatorModule(new FhirInstanceValidator(support));

        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        validator.validateWithResult("{\"resourceType\": \"Basic\", \"code\": {\"text\": \"warm-up\"}}");
        JsonObject ready = new JsonObject();
        ready.addProperty("ready", true);
        ready.addProperty("hapi", ca.uhn.fhir.util.VersionUtil.getVersion());
        out.println(ready);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                out.println(results(validator, line));
            }
        }
    }

    private static JsonObject results(FhirValidator validator, String resource) {
        JsonObject answer = new JsonObject();
        JsonArray messages = new JsonArray();
        int errors = 0;
        int warnings = 0;
        int information = 0;
        try {
            ValidationResult result = validator.validateWithResult(resource);
            for (SingleValidationMessage message : result.getMessages()) {
                ResultSeverityEnum severity = message.getSeverity();
                if (severity == ResultSeverityEnum.ERROR || severity == ResultSeverityEnum.FATAL) {
                    errors++;
                } else if (severity == ResultSeverityEnum.WARNING) {
                    warnings++;
                } else {
                    information++;
                }
                JsonObject item = new JsonObject();
                item.addProperty("severity", severity.getCode());
                item.addProperty("location", message.getLocationString());
                item.addProperty("message", message.getMessage());
                item.addProperty("messageId", message.getMessageId());
                messages.add(item);
            }
        } catch (RuntimeException unreadable) {
            errors++;
            JsonObject item = new JsonObject();
            item.addProperty("severity", "fatal");
            item.addProperty("message", unreadable.getClass().getSimpleName() + ": " + unreadable.getMessage());
            messages.add(item);
        }
        answer.addProperty("errors", errors);
        answer.addProperty("warnings", warnings);
        answer.addProperty("information", information);
        answer.add("messages", messages);
        return answer;
    }
}
